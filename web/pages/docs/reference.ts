// The API reference: Swagger UI (swagger-ui-dist, served from here; no CDN) over the Worker's own
// /openapi.json, with "Try it out" against the same origin.

declare const SwaggerUIBundle: (options: Record<string, unknown>) => unknown;

SwaggerUIBundle({
  url: new URL("/openapi.json", location.href).href,
  dom_id: "#reference",
  deepLinking: true,
  // The default validator is a remote service that would be sent the document.
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: true,
});
