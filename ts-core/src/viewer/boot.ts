/**
 * The browser module that runs before viewer/app.js in a self-contained page (bundle.ts puts it first). The app
 * reads GET /viewer.json and then loads the URLs it names; a page opened from disk has no server, so this module
 * turns the files embedded in the document (self-contained.ts: base64 in non-executed <script> elements) into
 * blob: URLs (data: URLs where the element says `data-url="data"`: Spark fetches splats in a worker, and a worker
 * of a page opened from disk has an origin of its own that may not read the page's blob: URLs), puts those URLs into the embedded manifest where it says `ote-file:<id>`, and answers the app's
 * fetch of /viewer.json with it. Every other fetch goes to the browser as it is (blob: URLs; anything else is
 * refused by the page's Content-Security-Policy). Kept as text here: it is browser code, bundled, never run by Node.
 */

/** The type of the <script> elements that hold a file (base64): the browser does not run them. */
export const EMBEDDED_FILE_TYPE = 'application/x-ote-file';
/** The id of the <script type="application/json"> element that holds the manifest. */
export const MANIFEST_ELEMENT_ID = 'ote-manifest';
/** How the manifest names an embedded file: this prefix and the id of its element. */
export const EMBEDDED_URL_PREFIX = 'ote-file:';

export const BOOT_MODULE = `
const embedded = new Map();
for (const el of document.querySelectorAll('script[type="${EMBEDDED_FILE_TYPE}"]')) {
  const base64 = el.textContent.replace(/\\s+/g, '');
  const type = el.dataset.type || 'application/octet-stream';
  el.textContent = '';
  if (el.dataset.url === 'data') {
    embedded.set(el.id, 'data:' + type + ';base64,' + base64);
    continue;
  }
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  embedded.set(el.id, URL.createObjectURL(new Blob([bytes], { type })));
}
const manifestText = document.getElementById('${MANIFEST_ELEMENT_ID}')?.textContent ?? '{}';
const manifest = JSON.parse(manifestText, (_key, v) => {
  if (typeof v !== 'string' || !v.startsWith('${EMBEDDED_URL_PREFIX}')) return v;
  const url = embedded.get(v.slice(${EMBEDDED_URL_PREFIX.length}));
  if (!url) throw new Error('self-contained page: the manifest names ' + v + ', which is not embedded');
  return url;
});
const browserFetch = window.fetch.bind(window);
window.fetch = (input, init) =>
  input === '/viewer.json'
    ? Promise.resolve(new Response(JSON.stringify(manifest), { headers: { 'Content-Type': 'application/json' } }))
    : browserFetch(input, init);
`;
