/**
 * MOZ_lightmap (Mozilla Hubs): `materials[i].extensions.MOZ_lightmap = { index, texCoord, intensity }`, where
 * `index` is a texture read with `texCoord` (1: the lightmap UV set). three.js renders it as `lightMap` with
 * `texture.channel = 1`. glTF-Transform does not ship it, so it is registered here to survive reads and writes.
 */
import {
  Extension,
  ExtensionProperty,
  PropertyType,
  TextureChannel,
  TextureInfo,
  type IProperty,
  type Nullable,
  type ReaderContext,
  type Texture,
  type WriterContext,
} from '@gltf-transform/core';

export const MOZ_LIGHTMAP = 'MOZ_lightmap';

interface ILightmap extends IProperty {
  texture: Texture;
  textureInfo: TextureInfo;
  intensity: number;
}

export class Lightmap extends ExtensionProperty<ILightmap> {
  static override EXTENSION_NAME = MOZ_LIGHTMAP;
  declare extensionName: typeof MOZ_LIGHTMAP;
  declare propertyType: 'Lightmap';
  declare parentTypes: [PropertyType.MATERIAL];

  protected init(): void {
    this.extensionName = MOZ_LIGHTMAP;
    this.propertyType = 'Lightmap';
    this.parentTypes = [PropertyType.MATERIAL];
  }

  protected override getDefaults(): Nullable<ILightmap> {
    return Object.assign(super.getDefaults() as IProperty, {
      texture: null,
      textureInfo: new TextureInfo(this.graph, 'textureInfo'),
      intensity: 1,
    });
  }

  getTexture(): Texture | null {
    return this.getRef('texture');
  }
  getTextureInfo(): TextureInfo | null {
    return this.getRef('texture') ? this.getRef('textureInfo') : null;
  }
  setTexture(texture: Texture | null): this {
    this.setRef('texture', texture, { channels: TextureChannel.R | TextureChannel.G | TextureChannel.B });
    this.getRef('textureInfo')!.setTexCoord(1);
    return this;
  }
  getIntensity(): number {
    return this.get('intensity');
  }
  setIntensity(v: number): this {
    return this.set('intensity', v);
  }
}

export class MOZLightmap extends Extension {
  static override readonly EXTENSION_NAME = MOZ_LIGHTMAP;
  public override readonly extensionName = MOZ_LIGHTMAP;
  public override readonly prereadTypes = [PropertyType.MESH];
  public override readonly prewriteTypes = [PropertyType.MESH];

  createLightmap(): Lightmap {
    return new Lightmap(this.document.getGraph());
  }

  read(_context: ReaderContext): this {
    return this;
  }
  write(_context: WriterContext): this {
    return this;
  }

  override preread(context: ReaderContext): this {
    const json = context.jsonDoc.json;
    (json.materials ?? []).forEach((def, i) => {
      const ext = def.extensions?.[MOZ_LIGHTMAP] as
        | { index: number; texCoord?: number; intensity?: number }
        | undefined;
      if (!ext) return;
      const lm = this.createLightmap();
      const source = json.textures?.[ext.index]?.source;
      if (source !== undefined) {
        lm.setTexture(context.textures[source]);
        context.setTextureInfo(lm.getTextureInfo()!, { index: ext.index, texCoord: ext.texCoord ?? 1 });
      }
      if (ext.intensity !== undefined) lm.setIntensity(ext.intensity);
      context.materials[i].setExtension(MOZ_LIGHTMAP, lm);
    });
    return this;
  }

  override prewrite(context: WriterContext): this {
    const json = context.jsonDoc.json;
    for (const material of this.document.getRoot().listMaterials()) {
      const lm = material.getExtension<Lightmap>(MOZ_LIGHTMAP);
      if (!lm?.getTexture()) continue;
      const def = json.materials![context.materialIndexMap.get(material)!];
      def.extensions ??= {};
      const info = context.createTextureInfoDef(lm.getTexture()!, lm.getTextureInfo()!);
      def.extensions[MOZ_LIGHTMAP] = { index: info.index, texCoord: info.texCoord ?? 1, intensity: lm.getIntensity() };
    }
    return this;
  }
}
