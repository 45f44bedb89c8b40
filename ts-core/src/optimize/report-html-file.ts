/** report.html written from report.json's object and the images beside it (by a run, a cache hit, `ote view --measure`). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderReportHtml } from '../report/html.js';
import type { OptimizeReport } from '../report/types.js';

/**
 * report.html of the output folder `dir`, from the report and the images beside it, with the viewer page (made from
 * `dir` by `viewerPage`) when given. Written under a new name and renamed into place. Errors name the image that
 * cannot be read.
 */
export async function writeReportHtml(
  dir: string,
  report: OptimizeReport,
  viewerPage?: (dir: string) => Promise<string>,
): Promise<void> {
  const images: Record<string, Uint8Array> = {};
  for (const { file } of report.images) {
    const path = join(dir, file);
    images[file] = await readFile(path).catch((e) => {
      throw new Error(`${path}: the report's image cannot be read (report.json images[].file): ${e.message}`);
    });
  }
  const viewerHtml = viewerPage ? await viewerPage(dir) : undefined;
  await writeFileAtomic(join(dir, 'report.html'), renderReportHtml(report, images, { viewerHtml }));
}
