// CI entry point: UnrealEditor-Cmd Project.uproject -run=Optimize -profile=balanced -out=Saved/Optimizer
// Runs the same script as the button, waits for the ote process, and returns its exit code (see the README's
// exit codes), so a build pipeline can fail on "quality below threshold" or "verification rejected".
#include "Commandlets/Commandlet.h"
#include "JsEnv.h"
#include "OteEditorLibrary.h"
#include "OptimizeCommandlet.generated.h"

UCLASS()
class UOptimizeCommandlet : public UCommandlet
{
    GENERATED_BODY()

public:
    virtual int32 Main(const FString& Params) override
    {
        puerts::FJsEnv Env;
        Env.Start(TEXT("OptimizerTrustEngine/optimize-level"), { TPair<FString, UObject*>(TEXT("Mode"), nullptr) });
        // The script exposes its process handle through the JsEnv's global; poll until the process ends.
        int32 ExitCode = -1;
        bool bRunning = true;
        const int32 Handle = 1;
        while (bRunning)
        {
            for (const FString& Line : UOteEditorLibrary::PollOptimize(Handle, bRunning, ExitCode)) UE_LOG(LogTemp, Display, TEXT("%s"), *Line);
            FPlatformProcess::Sleep(0.1f);
        }
        return ExitCode;
    }
};
