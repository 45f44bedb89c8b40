/** Text placed in HTML or SVG (names come from users' files): the five characters markup gives meaning to. */
export const escapeHtml = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
