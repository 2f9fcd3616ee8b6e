// The single file's layout (scripts/build-single.mjs): a head, then `/*CODECACHE<base64>*/` and
// `/*BUNDLE<bundle>*/`. The bundle rides as it is but for one escape, so that nothing in it ends
// the comment: each \x01 is written \x01 0, then each "*/" is written "*\x01 1/" (without the
// spaces). The head undoes it with its own copy of decode() (it runs before anything can be
// loaded); the build's warm-cache run and the tests use this one.
"use strict";

/** The closing comment's text for a bundle. */
function encodeBundle(bundle) {
  if (bundle.includes("/*BUNDLE")) throw new Error('the bundle holds "/*BUNDLE": choose another marker');
  return bundle.replaceAll("\x01", "\x010").replaceAll("*/", "*\x011/");
}

/** The bundle's source, wrapped as the head compiles it, and the code cache, from a file's bytes. */
function decode(bytes) {
  const bundleAt = bytes.lastIndexOf("\n/*BUNDLE") + 9;
  const cacheAt = bytes.lastIndexOf("/*CODECACHE", bundleAt) + 11;
  const cachedData = Buffer.from(bytes.toString("latin1", cacheAt, bytes.indexOf("*/", cacheAt)), "base64");
  const bundle = bytes
    .toString("utf8", bundleAt, bytes.indexOf("*/", bundleAt))
    .replaceAll("*\x011/", "*/")
    .replaceAll("\x010", "\x01");
  return { source: `${WRAPPER}${bundle}\n})`, cachedData, cacheAt };
}

const WRAPPER = "(function (exports, require, module, __filename, __dirname) {";

module.exports = { encodeBundle, decode, WRAPPER };
