// Native helpers exposed to the Puerts scripts. The optimizer itself runs as a separate `ote` process, so the
// editor never blocks: the scripts poll its JSON-lines progress on a ticker and can cancel it at any time.
#pragma once

#include "CoreMinimal.h"
#include "Kismet/BlueprintFunctionLibrary.h"
#include "OteEditorLibrary.generated.h"

class UTexture;

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
};
