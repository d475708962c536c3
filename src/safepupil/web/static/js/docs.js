// Starts Swagger UI on /docs from the vendored bundle (a file, so the page's
// Content-Security-Policy can forbid inline scripts).
window.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: holder.dataset.openapi, dom_id: "#swagger-ui" });
});
