// The lightmap write-back's native half (declared in OteEditorLibrary.h; Scripts/write-back.ts drives it from the
// plan that ts-core/src/adapters/lightmap-write-back.ts makes). Not compiled in this repository's CI: there is no
// Unreal here. Written against Unreal Engine 5.3's editor API.
#include "OteEditorLibrary.h"

#include "AssetImportTask.h"
#include "AssetRegistry/AssetRegistryModule.h"
#include "AssetToolsModule.h"
#include "Components/StaticMeshComponent.h"
#include "Editor.h"
#include "Engine/StaticMesh.h"
#include "Engine/StaticMeshActor.h"
#include "Engine/Texture2D.h"
#include "Factories/MaterialFactoryNew.h"
#include "Factories/MaterialInstanceConstantFactoryNew.h"
#include "MaterialEditingLibrary.h"
#include "Materials/Material.h"
#include "Materials/MaterialExpressionAdd.h"
#include "Materials/MaterialExpressionComponentMask.h"
#include "Materials/MaterialExpressionMultiply.h"
#include "Materials/MaterialExpressionTextureCoordinate.h"
#include "Materials/MaterialExpressionTextureSampleParameter2D.h"
#include "Materials/MaterialExpressionVectorParameter.h"
#include "Materials/MaterialInstanceConstant.h"
#include "MeshDescription.h"
#include "Misc/PackageName.h"
#include "Misc/Paths.h"
#include "StaticMeshAttributes.h"

namespace
{
int32 GWriteBackTransaction = INDEX_NONE;

/** The object named like its package (/Game/A/B → /Game/A/B.B) if it exists, else a new one there. */
template <typename T>
T* FindOrCreate(const FString& AssetPath, UClass* Class = T::StaticClass())
{
    const FString Name = FPackageName::GetShortName(AssetPath);
    if (T* Existing = LoadObject<T>(nullptr, *(AssetPath + TEXT(".") + Name), nullptr, LOAD_NoWarn | LOAD_Quiet))
        return Existing;
    UPackage* Package = CreatePackage(*AssetPath);
    T* Created = NewObject<T>(Package, Class, *Name, RF_Public | RF_Standalone | RF_Transactional);
    FAssetRegistryModule::AssetCreated(Created);
    return Created;
}

/** A new expression in M's graph (the editor's way: owner, material pointer and graph entry set). */
template <typename T>
T* Expression(UMaterial* M)
{
    return Cast<T>(UMaterialEditingLibrary::CreateMaterialExpression(M, T::StaticClass()));
}

/**
 * The master every lightmap instance derives from, created once in the project. Unlit: the lightmap already holds
 * the light the surface receives (irradiance / π), so emissive = albedo × lightmap is what the bake computed; the
 * level's lights would light it a second time. The lightmap parameter's default is the first page imported (a
 * linear HDR texture, as the sampler type needs).
 */
UMaterial* LightmapMaster(UTexture2D* DefaultLightmap)
{
    // Versioned: a project keeps the master an older plugin made (its instances use it), and write-backs from this
    // one make their own (v2 added the OpacityMap parameter).
    const FString Path = TEXT("/Game/OptimizerLightmaps/M_OteLightmapped_v2");
    if (UMaterial* M = LoadObject<UMaterial>(nullptr, *(Path + TEXT(".M_OteLightmapped_v2")), nullptr, LOAD_NoWarn | LOAD_Quiet))
        return M;
    UPackage* Package = CreatePackage(*Path);
    UMaterialFactoryNew* Factory = NewObject<UMaterialFactoryNew>();
    UMaterial* M = Cast<UMaterial>(Factory->FactoryCreateNew(UMaterial::StaticClass(), Package,
        TEXT("M_OteLightmapped_v2"), RF_Public | RF_Standalone, nullptr, GWarn));
    M->SetShadingModel(MSM_Unlit);

    // Page UV = UV1 × ScaleOffset.xy + ScaleOffset.zw, ScaleOffset from the actor's custom primitive data 0–3.
    auto* UV1 = Expression<UMaterialExpressionTextureCoordinate>(M);
    UV1->CoordinateIndex = 1;
    auto* ScaleOffset = Expression<UMaterialExpressionVectorParameter>(M);
    ScaleOffset->ParameterName = TEXT("LightmapScaleOffset");
    ScaleOffset->DefaultValue = FLinearColor(1, 1, 0, 0);
    ScaleOffset->bUseCustomPrimitiveData = true;
    ScaleOffset->PrimitiveDataIndex = 0;
    auto* Scale = Expression<UMaterialExpressionComponentMask>(M);
    Scale->Input.Connect(0, ScaleOffset);
    Scale->R = Scale->G = true;
    auto* Offset = Expression<UMaterialExpressionComponentMask>(M);
    Offset->Input.Connect(0, ScaleOffset);
    Offset->B = Offset->A = true;
    auto* Scaled = Expression<UMaterialExpressionMultiply>(M);
    Scaled->A.Connect(0, UV1);
    Scaled->B.Connect(0, Scale);
    auto* PageUV = Expression<UMaterialExpressionAdd>(M);
    PageUV->A.Connect(0, Scaled);
    PageUV->B.Connect(0, Offset);
    auto* Lightmap = Expression<UMaterialExpressionTextureSampleParameter2D>(M);
    Lightmap->ParameterName = TEXT("Lightmap");
    Lightmap->Texture = DefaultLightmap;
    Lightmap->SamplerType = SAMPLERTYPE_LinearColor;
    Lightmap->Coordinates.Connect(0, PageUV);

    auto* BaseMap = Expression<UMaterialExpressionTextureSampleParameter2D>(M);
    BaseMap->ParameterName = TEXT("BaseColorMap");
    BaseMap->Texture = LoadObject<UTexture2D>(nullptr, TEXT("/Engine/EngineResources/WhiteSquareTexture.WhiteSquareTexture"));
    BaseMap->SamplerType = SAMPLERTYPE_Color;
    auto* BaseColor = Expression<UMaterialExpressionVectorParameter>(M);
    BaseColor->ParameterName = TEXT("BaseColor");
    BaseColor->DefaultValue = FLinearColor::White;
    auto* Albedo = Expression<UMaterialExpressionMultiply>(M);
    Albedo->A.Connect(0, BaseMap);   // RGB
    Albedo->B.Connect(0, BaseColor); // RGB
    auto* Lit = Expression<UMaterialExpressionMultiply>(M);
    Lit->A.Connect(0, Albedo);
    Lit->B.Connect(0, Lightmap);
    M->GetEditorOnlyData()->EmissiveColor.Connect(0, Lit);
    // Cut-outs for masked instances (BlendMode overridden per instance): base map alpha × BaseColor alpha × the
    // source's own opacity-mask texture (R; white when it has none).
    auto* Coverage = Expression<UMaterialExpressionMultiply>(M);
    Coverage->A.Connect(4, BaseMap);
    Coverage->B.Connect(4, BaseColor);
    auto* OpacityMap = Expression<UMaterialExpressionTextureSampleParameter2D>(M);
    OpacityMap->ParameterName = TEXT("OpacityMap");
    OpacityMap->Texture = LoadObject<UTexture2D>(nullptr, TEXT("/Engine/EngineResources/WhiteSquareTexture.WhiteSquareTexture"));
    OpacityMap->SamplerType = SAMPLERTYPE_LinearColor;
    auto* Masked = Expression<UMaterialExpressionMultiply>(M);
    Masked->A.Connect(0, Coverage);
    Masked->B.Connect(1, OpacityMap); // R
    M->GetEditorOnlyData()->OpacityMask.Connect(0, Masked);

    M->PostEditChange();
    M->MarkPackageDirty();
    FAssetRegistryModule::AssetCreated(M);
    return M;
}
}

void UOteEditorLibrary::BeginWriteBack(const FString& /*Folder: assets are created by path*/)
{
    GWriteBackTransaction = GEditor ? GEditor->BeginTransaction(NSLOCTEXT("Ote", "WriteBack", "Optimizer: write back lightmaps")) : INDEX_NONE;
}

UTexture2D* UOteEditorLibrary::ImportLightmapPage(const FString& ExrFile, const FString& AssetPath)
{
    if (!FPaths::FileExists(ExrFile)) return nullptr;
    UAssetImportTask* Task = NewObject<UAssetImportTask>();
    Task->Filename = ExrFile;
    Task->DestinationPath = FPackageName::GetLongPackagePath(AssetPath);
    Task->DestinationName = FPackageName::GetShortName(AssetPath);
    Task->bAutomated = true;
    Task->bReplaceExisting = true;
    Task->bSave = false;
    FAssetToolsModule::GetModule().Get().ImportAssetTasks({Task});
    UTexture2D* Texture = Task->GetObjects().Num() ? Cast<UTexture2D>(Task->GetObjects()[0]) : nullptr;
    if (!Texture) return nullptr;
    Texture->Modify();
    Texture->CompressionSettings = TC_HDR;
    Texture->SRGB = false;
    Texture->AddressX = Texture->AddressY = TA_Clamp;
    Texture->LODGroup = TEXTUREGROUP_Lightmap;
    Texture->PostEditChange();
    return Texture;
}

UStaticMesh* UOteEditorLibrary::CreateLightmappedMesh(const FString& AssetPath, const TArray<float>& Positions,
    const TArray<float>& Normals, const TArray<float>& UV0, const TArray<float>& UV1, const TArray<int32>& Indices,
    const TArray<int32>& SectionCounts)
{
    const int32 N = Positions.Num() / 3;
    FMeshDescription Description;
    FStaticMeshAttributes Attributes(Description);
    Attributes.Register();
    auto VertexPositions = Attributes.GetVertexPositions();
    auto InstanceNormals = Attributes.GetVertexInstanceNormals();
    auto InstanceUVs = Attributes.GetVertexInstanceUVs();
    auto SlotNames = Attributes.GetPolygonGroupMaterialSlotNames();
    InstanceUVs.SetNumChannels(2);
    Description.ReserveNewVertices(N);
    Description.ReserveNewVertexInstances(N);
    TArray<FVertexInstanceID> Instances;
    Instances.Reserve(N);
    for (int32 V = 0; V < N; V++)
    {
        const FVertexID Vertex = Description.CreateVertex();
        VertexPositions[Vertex] = FVector3f(Positions[3 * V], Positions[3 * V + 1], Positions[3 * V + 2]);
        const FVertexInstanceID Instance = Description.CreateVertexInstance(Vertex);
        if (Normals.Num() == 3 * N) InstanceNormals[Instance] = FVector3f(Normals[3 * V], Normals[3 * V + 1], Normals[3 * V + 2]);
        InstanceUVs.Set(Instance, 0, UV0.Num() == 2 * N ? FVector2f(UV0[2 * V], UV0[2 * V + 1]) : FVector2f::ZeroVector);
        InstanceUVs.Set(Instance, 1, UV1.Num() == 2 * N ? FVector2f(UV1[2 * V], UV1[2 * V + 1]) : FVector2f::ZeroVector);
        Instances.Add(Instance);
    }
    UStaticMesh* Mesh = FindOrCreate<UStaticMesh>(AssetPath);
    Mesh->Modify();
    Mesh->GetStaticMaterials().Empty();
    for (int32 S = 0, At = 0; S < SectionCounts.Num(); At += SectionCounts[S], S++)
    {
        const FPolygonGroupID Group = Description.CreatePolygonGroup();
        const FName Slot(*FString::Printf(TEXT("Section%d"), S));
        SlotNames[Group] = Slot;
        Mesh->GetStaticMaterials().Add(FStaticMaterial(nullptr, Slot, Slot));
        for (int32 K = At; K + 2 < At + SectionCounts[S]; K += 3)
            Description.CreateTriangle(Group, {Instances[Indices[K]], Instances[Indices[K + 1]], Instances[Indices[K + 2]]});
    }
    Mesh->SetNumSourceModels(1);
    FMeshBuildSettings& Build = Mesh->GetSourceModel(0).BuildSettings;
    Build.bRecomputeNormals = Normals.Num() != 3 * N;
    Build.bRecomputeTangents = true;
    Build.bGenerateLightmapUVs = false;
    Build.bRemoveDegenerates = false;
    Mesh->CreateMeshDescription(0, MoveTemp(Description));
    Mesh->CommitMeshDescription(0);
    Mesh->SetLightMapCoordinateIndex(1);
    Mesh->Build();
    Mesh->PostEditChange();
    Mesh->MarkPackageDirty();
    return Mesh;
}

UMaterialInterface* UOteEditorLibrary::CreateLightmapMaterial(const FString& AssetPath, UTexture2D* Lightmap,
    const FLinearColor& BaseColor, const FString& BaseColorTexture, const FString& OpacityMaskTexture, bool bMasked,
    float OpacityMaskClipValue, bool bTwoSided)
{
    UMaterialInstanceConstant* Instance = FindOrCreate<UMaterialInstanceConstant>(AssetPath);
    Instance->Modify();
    Instance->SetParentEditorOnly(LightmapMaster(Lightmap));
    Instance->SetTextureParameterValueEditorOnly(FMaterialParameterInfo(TEXT("Lightmap")), Lightmap);
    Instance->SetVectorParameterValueEditorOnly(FMaterialParameterInfo(TEXT("BaseColor")), BaseColor);
    if (UTexture* Base = BaseColorTexture.IsEmpty() ? nullptr : LoadObject<UTexture>(nullptr, *BaseColorTexture))
        Instance->SetTextureParameterValueEditorOnly(FMaterialParameterInfo(TEXT("BaseColorMap")), Base);
    if (UTexture* Mask = OpacityMaskTexture.IsEmpty() ? nullptr : LoadObject<UTexture>(nullptr, *OpacityMaskTexture))
        Instance->SetTextureParameterValueEditorOnly(FMaterialParameterInfo(TEXT("OpacityMap")), Mask);
    Instance->BasePropertyOverrides.bOverride_BlendMode = bMasked;
    Instance->BasePropertyOverrides.BlendMode = bMasked ? BLEND_Masked : BLEND_Opaque;
    Instance->BasePropertyOverrides.bOverride_OpacityMaskClipValue = bMasked;
    Instance->BasePropertyOverrides.OpacityMaskClipValue = OpacityMaskClipValue;
    Instance->BasePropertyOverrides.bOverride_TwoSided = bTwoSided;
    Instance->BasePropertyOverrides.TwoSided = bTwoSided;
    Instance->UpdateStaticPermutation();
    Instance->PostEditChange();
    Instance->MarkPackageDirty();
    return Instance;
}

void UOteEditorLibrary::ApplyLightmappedMesh(AStaticMeshActor* Actor, int32 Part, UStaticMesh* Mesh,
    const TArray<UMaterialInterface*>& Materials, float ScaleX, float ScaleY, float OffsetX, float OffsetY)
{
    AStaticMeshActor* Target = Actor;
    if (Part > 0)
    {
        const FString Label = FString::Printf(TEXT("%s (lightmap part %d)"), *Actor->GetActorLabel(), Part);
        Target = nullptr;
        TArray<AActor*> Children;
        Actor->GetAttachedActors(Children);
        for (AActor* Child : Children)
            if (Child->GetActorLabel() == Label) Target = Cast<AStaticMeshActor>(Child);
        if (!Target)
        {
            Target = Actor->GetWorld()->SpawnActor<AStaticMeshActor>(Actor->GetActorLocation(), Actor->GetActorRotation());
            Target->SetActorScale3D(Actor->GetActorScale3D());
            Target->SetActorLabel(Label);
            Target->GetStaticMeshComponent()->SetMobility(Actor->GetStaticMeshComponent()->Mobility);
            Target->AttachToActor(Actor, FAttachmentTransformRules::KeepWorldTransform);
        }
    }
    UStaticMeshComponent* Component = Target->GetStaticMeshComponent();
    Component->Modify();
    Component->SetStaticMesh(Mesh);
    for (int32 S = 0; S < Materials.Num(); S++) Component->SetMaterial(S, Materials[S]);
    // The default custom primitive data is the serialized one (the runtime setters are transient).
    Component->SetDefaultCustomPrimitiveDataVector4(0, FVector4(ScaleX, ScaleY, OffsetX, OffsetY));
    Component->MarkRenderStateDirty();
}

AActor* UOteEditorLibrary::PlaceSplats(const FString& Folder, const TArray<uint8>& Ply, int32 Gaussians)
{
    // /Game/<rest> is <Project>/Content/<rest> on disk.
    const FString Rest = Folder.StartsWith(TEXT("/Game/")) ? Folder.RightChop(6) : Folder;
    const FString File = FPaths::ConvertRelativePathToFull(FPaths::ProjectContentDir() / Rest / TEXT("Splats.ply"));
    if (!SaveBytesAtomic(File, Ply)) return nullptr;
    UWorld* World = GEditor ? GEditor->GetEditorWorldContext().World() : nullptr;
    if (!World) return nullptr;
    AActor* Placeholder = World->SpawnActor<AActor>(AActor::StaticClass(), FTransform::Identity);
    if (!Placeholder) return nullptr;
    Placeholder->Modify();
    Placeholder->SetActorLabel(TEXT("Splats (optimizer)"));
    Placeholder->Tags.Add(FName(*(TEXT("OteSplats:") + File)));
    UE_LOG(LogTemp, Display, TEXT("Optimizer: %d splats in %s, for the splat plugin that draws \"Splats (optimizer)\""),
        Gaussians, *File);
    return Placeholder;
}

void UOteEditorLibrary::HideForSplats(AActor* Actor)
{
    if (!Actor) return;
    Actor->Modify();
    Actor->SetActorHiddenInGame(true);
    Actor->SetIsTemporarilyHiddenInEditor(true);
    Actor->bHiddenEd = true;
}

void UOteEditorLibrary::EndWriteBack(bool bOk)
{
    if (GEditor && GWriteBackTransaction != INDEX_NONE)
    {
        if (bOk) GEditor->EndTransaction();
        else GEditor->CancelTransaction(GWriteBackTransaction);
    }
    GWriteBackTransaction = INDEX_NONE;
}
