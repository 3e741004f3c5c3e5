// Frontdesk web chat loader (ADR 0084). Embed with:
//   <script src="https://FRONTDESK/widget/v1.js?key=fdw_..." async></script>
// It adds a button and, when opened, the chat page that Frontdesk serves in an iframe.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var src = new URL(script.src);
  var key = src.searchParams.get("key") || script.getAttribute("data-key");
  if (!key) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = script.getAttribute("data-label") || "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;" +
    "padding:10px 16px;border:0;border-radius:20px;background:#1f5f8b;color:#fff;font:15px sans-serif;cursor:pointer";
  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = src.origin + "/widget/chat?key=" + encodeURIComponent(key);
      frame.title = "Chat";
      frame.style.cssText = "position:fixed;right:16px;bottom:64px;z-index:2147483000;" +
        "width:min(360px,calc(100vw - 32px));height:min(520px,calc(100vh - 96px));" +
        "border:1px solid #ccd;border-radius:8px;background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
