#include "OteEditorLibrary.h"

#include "Engine/Texture.h"
#include "Framework/Notifications/NotificationManager.h"
#include "HAL/PlatformFileManager.h"
#include "HAL/PlatformProcess.h"
#include "ImageCore.h"
#include "ImageUtils.h"
#include "Misc/FileHelper.h"
#include "Misc/Paths.h"
#include "Widgets/Notifications/SNotificationList.h"

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

// The one run the editor shows (the button starts one at a time).
TWeakPtr<SNotificationItem> GRunNotice;
int32 GRunHandle = 0;
bool GRunEnded = false;
int32 GRunExitCode = -1;
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

bool UOteEditorLibrary::ExportTexturePng(UTexture* Texture, TArray<uint8>& OutPng, int32& OutWidth, int32& OutHeight)
{
    OutPng.Reset();
    OutWidth = OutHeight = 0;
    if (!Texture || !Texture->Source.IsValid()) return false;
    FImage Image;
    if (!Texture->Source.GetMipImage(Image, 0, 0, 0)) return false;
    TArray64<uint8> Png;
    if (!FImageUtils::CompressImage(Png, TEXT("png"), Image)) return false;
    OutPng.Append(Png.GetData(), static_cast<int32>(Png.Num()));
    OutWidth = Image.SizeX;
    OutHeight = Image.SizeY;
    return true;
}

bool UOteEditorLibrary::ExportTexturePixels(UTexture* Texture, TArray<uint8>& OutRgba, int32& OutWidth, int32& OutHeight)
{
    OutRgba.Reset();
    OutWidth = OutHeight = 0;
    if (!Texture || !Texture->Source.IsValid()) return false;
    FImage Image;
    if (!Texture->Source.GetMipImage(Image, 0, 0, 0)) return false;
    // As stored: a linear conversion leaves 8-bit values as they are and only narrows wider formats.
    FImage Bgra;
    Image.CopyTo(Bgra, ERawImageFormat::BGRA8, EGammaSpace::Linear);
    const int64 N = static_cast<int64>(Bgra.SizeX) * Bgra.SizeY;
    OutRgba.SetNumUninitialized(static_cast<int32>(4 * N));
    const uint8* Src = Bgra.RawData.GetData();
    for (int64 K = 0; K < N; K++)
    {
        OutRgba[4 * K] = Src[4 * K + 2];
        OutRgba[4 * K + 1] = Src[4 * K + 1];
        OutRgba[4 * K + 2] = Src[4 * K];
        OutRgba[4 * K + 3] = Src[4 * K + 3];
    }
    OutWidth = Bgra.SizeX;
    OutHeight = Bgra.SizeY;
    return true;
}

void UOteEditorLibrary::BeginRun(int32 Handle)
{
    GRunHandle = Handle;
    GRunEnded = false;
    GRunExitCode = -1;
    if (IsRunningCommandlet()) return;
    FNotificationInfo Info(FText::FromString(TEXT("Optimizer: starting")));
    Info.bFireAndForget = false;
    Info.bUseThrobber = true;
    Info.ButtonDetails.Add(FNotificationButtonInfo(FText::FromString(TEXT("Cancel")),
        FText::FromString(TEXT("Stop ote: the output folder stays as it was")),
        FSimpleDelegate::CreateLambda([] { UOteEditorLibrary::CancelOptimize(GRunHandle); }),
        SNotificationItem::CS_Pending));
    GRunNotice = FSlateNotificationManager::Get().AddNotification(Info);
    if (TSharedPtr<SNotificationItem> Notice = GRunNotice.Pin()) Notice->SetCompletionState(SNotificationItem::CS_Pending);
}

void UOteEditorLibrary::ReportRun(float Fraction, const FString& Text)
{
    if (TSharedPtr<SNotificationItem> Notice = GRunNotice.Pin())
        Notice->SetText(FText::FromString(FString::Printf(TEXT("Optimizer: %s"), *Text)));
    else
        UE_LOG(LogTemp, Display, TEXT("Optimizer: %s"), *Text);
}

void UOteEditorLibrary::EndRun(bool bOk, int32 ExitCode, const FString& Title, const FString& Text,
    const FString& Report, const FString& Certificate)
{
    GRunEnded = true;
    GRunExitCode = ExitCode;
    const FString Line = FString::Printf(TEXT("Optimizer: %s%s%s%s%s%s (exit %d)"), *Title,
        Text.IsEmpty() ? TEXT("") : TEXT(": "), *Text, Report.IsEmpty() ? TEXT("") : TEXT("; report "), *Report,
        Certificate.IsEmpty() ? TEXT("") : *(TEXT("; certificate ") + Certificate), ExitCode);
    if (bOk)
        UE_LOG(LogTemp, Display, TEXT("%s"), *Line);
    else
        UE_LOG(LogTemp, Error, TEXT("%s"), *Line);
    if (IsRunningCommandlet()) return;
    TSharedPtr<SNotificationItem> Notice = GRunNotice.Pin();
    if (!Notice)
    {
        FNotificationInfo Info(FText::GetEmpty());
        Info.bFireAndForget = false;
        Notice = FSlateNotificationManager::Get().AddNotification(Info);
    }
    GRunNotice.Reset();
    if (!Notice) return;
    Notice->SetText(FText::FromString(FString::Printf(TEXT("Optimizer: %s"), *Title)));
    Notice->SetSubText(FText::FromString(Text));
    if (!Report.IsEmpty())
        Notice->SetHyperlink(FSimpleDelegate::CreateLambda([Report] {
            FPlatformProcess::LaunchURL(*FString::Printf(TEXT("file:///%s"), *Report), nullptr, nullptr);
        }),
            FText::FromString(TEXT("Open report")));
    Notice->SetCompletionState(bOk ? SNotificationItem::CS_Success : SNotificationItem::CS_Fail);
    // A failure stays up longer: its reason is what the artist acts on.
    Notice->SetExpireDuration(bOk ? 8.0f : 30.0f);
    Notice->ExpireAndFadeout();
}

bool UOteEditorLibrary::RunEnded(int32& ExitCode)
{
    ExitCode = GRunExitCode;
    return GRunEnded;
}
