// Registers the "Optimize" toolbar button. Pressing it starts a Puerts JsEnv that runs
// Scripts/optimize-level.ts (compiled to Content/JavaScript/OptimizerTrustEngine/optimize-level.js).
#include "JsEnv.h"
#include "Modules/ModuleManager.h"
#include "ToolMenus.h"

class FOptimizerTrustEngineModule : public IModuleInterface
{
public:
    virtual void StartupModule() override
    {
        UToolMenus::RegisterStartupCallback(FSimpleMulticastDelegate::FDelegate::CreateRaw(this, &FOptimizerTrustEngineModule::RegisterMenus));
    }

    virtual void ShutdownModule() override
    {
        UToolMenus::UnRegisterStartupCallback(this);
        JsEnv.Reset();
    }

private:
    void RegisterMenus()
    {
        UToolMenu* Toolbar = UToolMenus::Get()->ExtendMenu("LevelEditor.LevelEditorToolBar.PlayToolBar");
        FToolMenuSection& Section = Toolbar->FindOrAddSection("Optimizer");
        Section.AddEntry(FToolMenuEntry::InitToolBarButton(
            "OteOptimize", FUIAction(FExecuteAction::CreateRaw(this, &FOptimizerTrustEngineModule::OnOptimize)),
            NSLOCTEXT("Ote", "Optimize", "Optimize"), NSLOCTEXT("Ote", "OptimizeTip", "Bake lighting and convert heavy objects to splats, then verify")));
    }

    void OnOptimize()
    {
        // One JsEnv for the editor session; the script keeps its own state between presses.
        if (!JsEnv.IsValid()) JsEnv = MakeShared<puerts::FJsEnv>();
        JsEnv->Start(TEXT("OptimizerTrustEngine/optimize-level"), { TPair<FString, UObject*>(TEXT("Mode"), nullptr) });
    }

    TSharedPtr<puerts::FJsEnv> JsEnv;
};

IMPLEMENT_MODULE(FOptimizerTrustEngineModule, OptimizerTrustEngine)
