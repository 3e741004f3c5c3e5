// Starts Swagger UI on the document the page names (no inline script: CSP script-src 'self').
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from another site
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
