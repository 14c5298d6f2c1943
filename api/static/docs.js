// Starts swagger-ui on this service's own OpenAPI document (a file, not inline: the page's CSP admits only 'self').
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
