// Editor-only module: the Optimize toolbar button, the -run=Optimize commandlet for CI, and the small native
// helpers the TypeScript glue needs (file writes, the ote process with JSON-lines progress, the lightmap write-back).
using UnrealBuildTool;

public class OptimizerTrustEngine : ModuleRules
{
    public OptimizerTrustEngine(ReadOnlyTargetRules Target) : base(Target)
    {
        PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;
        PublicDependencyModuleNames.AddRange(new[] { "Core", "CoreUObject", "Engine" });
        PrivateDependencyModuleNames.AddRange(new[] { "UnrealEd", "ImageCore", "Slate", "SlateCore", "ToolMenus", "Puerts", "JsEnv", "ProceduralMeshComponent",
            "AssetTools", "AssetRegistry", "MaterialEditor", "MeshDescription", "StaticMeshDescription" });
    }
}
