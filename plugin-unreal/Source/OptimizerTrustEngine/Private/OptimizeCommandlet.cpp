// CI entry point: UnrealEditor-Cmd Project.uproject -run=Optimize -profile=balanced -out=Saved/Optimizer
// Runs the same script as the button, waits until it has read the ote process to the end (the script polls it on
// Puerts' timers, which tick on the core ticker, pumped here), and returns the run's exit code (see the README's
// exit codes), so a build pipeline can fail on "quality below threshold" or "verification rejected". The script's
// progress and verdict go to the log (UOteEditorLibrary::ReportRun and EndRun under a commandlet).
#include "Commandlets/Commandlet.h"
#include "Containers/Ticker.h"
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
        // The script ends every run with EndRun, a failure before ote started included.
        int32 ExitCode = -1;
        while (!UOteEditorLibrary::RunEnded(ExitCode))
        {
            FTSTicker::GetCoreTicker().Tick(0.1f);
            FPlatformProcess::Sleep(0.1f);
        }
        return ExitCode;
    }
};
