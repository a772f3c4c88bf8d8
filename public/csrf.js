// Quiver's own requests prove where they come from: every same-origin request that changes
// something carries the page's anti-forgery token (from the quiver_csrf cookie, which other
// sites cannot read) in the x-quiver-csrf header. Loaded before the app, so the app's server
// function calls, which go through window.fetch, all carry it.
(function () {
  "use strict";
  var original = window.fetch;
  if (!original) return;
  function token() {
    var m = document.cookie.match(/(?:^|;\s*)quiver_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : null;
  }
  window.fetch = function (input, init) {
    var req = input instanceof Request && init === undefined ? input : new Request(input, init);
    var method = req.method.toUpperCase();
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS" &&
        new URL(req.url, location.href).origin === location.origin) {
      var t = token();
      if (t && !req.headers.has("x-quiver-csrf")) req.headers.set("x-quiver-csrf", t);
    }
    return original.call(window, req);
  };
})();
