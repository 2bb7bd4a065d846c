import { createRoute, z } from "@hono/zod-openapi";
import { uiAssets } from "../../ui/assets.js";
import { routeGroup } from "../openapi.js";

const widgetRoute = createRoute({
  method: "get",
  path: "/widget.js",
  tags: ["feedback widget"],
  summary: "The end-user feedback widget, a web component for any page",
  description: [
    'Load it with `<script src="https://signoff.example.com/widget.js" defer></script>` and',
    'place `<signoff-feedback thread-id="…" token="…"></signoff-feedback>` where the answer is',
    "shown (`token` is the thread's `feedback_token`; `scale` is `thumbs` or `five`; `api-base`",
    "defaults to the origin the script came from).",
  ].join("\n"),
  security: [],
  responses: {
    200: {
      description: "The script",
      content: { "text/javascript": { schema: z.string() } },
    },
  },
});

/**
 * Public: the widget's script, under one name that never changes (pages embed it by URL), so it
 * is cached for minutes rather than for good, and may be loaded by any site.
 */
export function widgetRoutes() {
  return routeGroup().openapi(widgetRoute, async (c) => {
    const { files, urls } = await uiAssets();
    const file = files.get(urls.widget.split("/").pop()!)!;
    return c.body(file.body, 200, {
      "Content-Type": file.contentType,
      "Cache-Control": "public, max-age=300",
      "Cross-Origin-Resource-Policy": "cross-origin",
      "Access-Control-Allow-Origin": "*",
    });
  });
}
