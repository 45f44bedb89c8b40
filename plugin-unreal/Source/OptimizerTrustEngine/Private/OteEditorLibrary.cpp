#include "OteEditorLibrary.h"

#include "HAL/PlatformFileManager.h"
#include "HAL/PlatformProcess.h"
#include "Misc/FileHelper.h"
#include "Misc/Paths.h"

namespace
{
struct FOteProcess
{
    FProcHandle Proc;
    void* ReadPipe = nullptr;
    void* WritePipe = nullptr;
    FString Pending;
};
TMap<int32, FOteProcess> GProcesses;
int32 GNextHandle = 1;
}

bool UOteEditorLibrary::SaveBytesAtomic(const FString& Path, const TArray<uint8>& Bytes)
{
    const FString Tmp = Path + TEXT(".tmp");
    if (!FFileHelper::SaveArrayToFile(Bytes, *Tmp)) return false;
    IPlatformFile& PF = FPlatformFileManager::Get().GetPlatformFile();
    PF.DeleteFile(*Path);
    return PF.MoveFile(*Path, *Tmp);
}

bool UOteEditorLibrary::LoadBytes(const FString& Path, TArray<uint8>& OutBytes)
{
    return FFileHelper::LoadFileToArray(OutBytes, *Path);
}

int32 UOteEditorLibrary::StartOptimize(const FString& NodeExe, const FString& OteScript, const FString& Args)
{
    FOteProcess P;
    FPlatformProcess::CreatePipe(P.ReadPipe, P.WritePipe);
    const FString CommandLine = FString::Printf(TEXT("\"%s\" %s"), *OteScript, *Args);
    P.Proc = FPlatformProcess::CreateProc(*NodeExe, *CommandLine, false, true, true, nullptr, 0, nullptr, P.WritePipe, nullptr, P.WritePipe);
    if (!P.Proc.IsValid())
    {
        FPlatformProcess::ClosePipe(P.ReadPipe, P.WritePipe);
        return 0;
    }
    const int32 Handle = GNextHandle++;
    GProcesses.Add(Handle, P);
    return Handle;
}

TArray<FString> UOteEditorLibrary::PollOptimize(int32 Handle, bool& bRunning, int32& ExitCode)
{
    TArray<FString> Lines;
    FOteProcess* P = GProcesses.Find(Handle);
    bRunning = false;
    ExitCode = -1;
    if (!P) return Lines;
    P->Pending += FPlatformProcess::ReadPipe(P->ReadPipe);
    FString Line, Rest;
    while (P->Pending.Split(TEXT("\n"), &Line, &Rest))
    {
        Lines.Add(Line);
        P->Pending = Rest;
    }
    bRunning = FPlatformProcess::IsProcRunning(P->Proc);
    if (!bRunning)
    {
        FPlatformProcess::GetProcReturnCode(P->Proc, &ExitCode);
        if (!P->Pending.IsEmpty()) Lines.Add(P->Pending);
        FPlatformProcess::ClosePipe(P->ReadPipe, P->WritePipe);
        FPlatformProcess::CloseProc(P->Proc);
        GProcesses.Remove(Handle);
    }
    return Lines;
}

void UOteEditorLibrary::CancelOptimize(int32 Handle)
{
    if (FOteProcess* P = GProcesses.Find(Handle)) FPlatformProcess::TerminateProc(P->Proc, true);
}

FString UOteEditorLibrary::ProjectSavedDir()
{
    return FPaths::ConvertRelativePathToFull(FPaths::ProjectSavedDir());
}

FString UOteEditorLibrary::GetEnvironmentVariable(const FString& Name)
{
    return FPlatformMisc::GetEnvironmentVariable(*Name);
}
