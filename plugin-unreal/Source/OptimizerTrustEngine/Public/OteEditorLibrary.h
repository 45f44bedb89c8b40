// Native helpers exposed to the Puerts scripts. The optimizer itself runs as a separate `ote` process, so the
// editor never blocks: the scripts poll its JSON-lines progress on a ticker and can cancel it at any time.
#pragma once

#include "CoreMinimal.h"
#include "Kismet/BlueprintFunctionLibrary.h"
#include "OteEditorLibrary.generated.h"

class AStaticMeshActor;
class UMaterialInterface;
class UStaticMesh;
class UTexture;
class UTexture2D;

UCLASS()
class OPTIMIZERTRUSTENGINE_API UOteEditorLibrary : public UBlueprintFunctionLibrary
{
    GENERATED_BODY()

public:
    /** Write bytes to a file through a temporary name and a rename, so a crash never leaves half a file. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static bool SaveBytesAtomic(const FString& Path, const TArray<uint8>& Bytes);

    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static bool LoadBytes(const FString& Path, TArray<uint8>& OutBytes);

    /**
     * Start `node <OteScript> <Args>`; returns a handle (0 on failure). Args is the whole command line after the
     * script, quoted (adapters/ote-command.ts builds it: `optimize ... --json`, or `farm submit ... --wait --json`).
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static int32 StartOptimize(const FString& NodeExe, const FString& OteScript, const FString& Args);

    /** Lines the process wrote since the last poll (progress events and the final result). */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static TArray<FString> PollOptimize(int32 Handle, bool& bRunning, int32& ExitCode);

    /** Ask the process to stop; it discards its staged outputs and leaves the output folder as it was. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void CancelOptimize(int32 Handle);

    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static FString ProjectSavedDir();

    /** The editor process's environment variable `Name` (empty when unset): OTE_FARM_URL picks a farm. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static FString GetEnvironmentVariable(const FString& Name);

    /**
     * A texture's source art (mip 0 of what was imported, not the platform-compressed copy) as PNG bytes, converted
     * to 8 bits per channel on the way where the source is wider or float. False when the texture has no source
     * (a cooked-only asset). The material export (Scripts/optimize-level.ts) calls it once per texture asset.
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static bool ExportTexturePng(UTexture* Texture, TArray<uint8>& OutPng, int32& OutWidth, int32& OutHeight);

    /**
     * A data texture's source art (metallic, roughness, ORM) as RGBA8 bytes as stored, rows top first, 4 per pixel:
     * the core repacks them into glTF's metallicRoughness (adapters/metallic-roughness.ts).
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static bool ExportTexturePixels(UTexture* Texture, TArray<uint8>& OutRgba, int32& OutWidth, int32& OutHeight);

    /**
     * The run in the editor, as ts-core/src/adapters/run-watch.ts reads it from the process: BeginRun (after
     * StartOptimize) shows a notification with a throbber and a Cancel button that calls CancelOptimize(Handle);
     * ReportRun puts each stage's progress on it; EndRun turns it to success or failure with the title, the reason
     * and a link that opens report.html. Under a commandlet each only logs. EndRun works without BeginRun (a script
     * that failed before starting ote).
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void BeginRun(int32 Handle);

    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void ReportRun(float Fraction, const FString& Text);

    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void EndRun(bool bOk, int32 ExitCode, const FString& Title, const FString& Text, const FString& Report,
        const FString& Certificate);

    /** Whether EndRun was called, and the exit code it gave: the commandlet waits on this and returns the code. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static bool RunEnded(int32& ExitCode);

    // The write-back (Scripts/write-back.ts; OteLightmapWriteBack.cpp), called in this order: BeginWriteBack,
    // ImportLightmapPage per page, CreateLightmappedMesh per mesh, CreateLightmapMaterial per (material, page),
    // ApplyLightmappedMesh per actor part, EndWriteBack. Source assets are never modified: everything new goes under
    // the folder given to BeginWriteBack, and actors are pointed at it inside one editor transaction.

    /** Opens the transaction ("Optimizer: write back lightmaps"); Folder is a long package path (/Game/...). */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void BeginWriteBack(const FString& Folder);

    /** The EXR page imported as an HDR texture (TC_HDR, linear, clamped) at AssetPath; null if it cannot be. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static UTexture2D* ImportLightmapPage(const FString& ExrFile, const FString& AssetPath);

    /**
     * A static mesh asset at AssetPath (replacing one a previous write-back left there) from flat arrays:
     * Positions, Normals: 3 floats per vertex, Unreal units and axes (Normals empty: computed);
     * UV0: 2 floats per vertex or empty; UV1: 2 floats per vertex, the lightmap UVs in [0, 1]², or empty for an
     * unlit part (primitives the run left without a lightmap, drawn with their source materials);
     * Indices: 3 per triangle, clockwise fronts (Unreal's), the sections' triangles back to back;
     * SectionCounts: one index count per section, section k on material slot k.
     * Lightmap coordinate index 1; no lightmap UVs generated, no normals or tangents recomputed but where absent.
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static UStaticMesh* CreateLightmappedMesh(const FString& AssetPath, const TArray<float>& Positions,
        const TArray<float>& Normals, const TArray<float>& UV0, const TArray<float>& UV1,
        const TArray<int32>& Indices, const TArray<int32>& SectionCounts);

    /**
     * A material instance at AssetPath of the plugin's lightmap master (created once per project under
     * /Game/OptimizerLightmaps): unlit, emissive = BaseColor × BaseColorMap (UV0) × Lightmap (UV1 × scale + offset,
     * the scale and offset from the actor's custom primitive data 0–3). BaseColorTexture: a texture asset's path, or
     * empty for white. OpacityMaskTexture: the source material's own opacity-mask texture (its R is coverage), or
     * empty for none. Masked materials keep their cut-out (BaseColorMap.A × BaseColor.A × OpacityMap.R against the
     * clip value).
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static UMaterialInterface* CreateLightmapMaterial(const FString& AssetPath, UTexture2D* Lightmap,
        const FLinearColor& BaseColor, const FString& BaseColorTexture, const FString& OpacityMaskTexture, bool bMasked,
        float OpacityMaskClipValue, bool bTwoSided);

    /**
     * Part 0: the actor draws Mesh with Materials; part k > 0: a child static mesh actor "<label> (lightmap part k)"
     * at the same transform does. The page placement (UV1 × scale + offset) goes to custom primitive data 0–3.
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void ApplyLightmappedMesh(AStaticMeshActor* Actor, int32 Part, UStaticMesh* Mesh,
        const TArray<UMaterialInterface*>& Materials, float ScaleX, float ScaleY, float OffsetX, float OffsetY);

    /**
     * The run's splats, inside the write-back's transaction: Ply (a 3DGS PLY, already in Unreal's axes and
     * centimetres: ts-core/src/adapters/splat-write-back.ts) saved as Splats.ply in the project folder of Folder (a
     * /Game path), and a placeholder actor "Splats (optimizer)" at the origin, tagged with the file's path for the
     * splat plugin that draws it. Returns the placeholder; null when the file cannot be written.
     */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static AActor* PlaceSplats(const FString& Folder, const TArray<uint8>& Ply, int32 Gaussians);

    /** Hides an actor the splats stand for, in the editor and in game (never deleted), inside the transaction. */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void HideForSplats(AActor* Actor);

    /** bOk: commits the transaction and leaves the new assets dirty to save; else cancels it (the level as before). */
    UFUNCTION(BlueprintCallable, Category = "Optimizer")
    static void EndWriteBack(bool bOk);
};
