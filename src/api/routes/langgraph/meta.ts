import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  GRAPH_ID,
  assistantGraph,
  assistantSchemas,
  assistantView,
  checkAssistant,
} from "../../../protocol/assistant.js";
import { errors, json, routeGroup } from "../../openapi.js";
import { jsonList, jsonObject, protocolObject, tags } from "./kit.js";

const assistantPath = z.object({ assistantId: z.string().min(1).max(200) });
const description = "Any role.";

const infoRoute = createRoute({
  method: "get",
  path: "/info",
  tags,
  summary: "Server info, as LangGraph Platform answers it",
  description,
  responses: { 200: jsonObject("Versions and flags"), ...errors.common },
});

const searchRoute = createRoute({
  method: "post",
  path: "/assistants/search",
  tags,
  summary: "Assistants: the signoff graph",
  description,
  request: {
    body: {
      required: false,
      content: json(
        z.looseObject({
          graph_id: z.string().optional(),
          limit: z.number().int().min(1).max(1000).optional(),
          offset: z.number().int().min(0).optional(),
        }),
      ),
    },
  },
  responses: { 200: jsonList("Matching assistants"), ...errors.body },
});

const getRoute = createRoute({
  method: "get",
  path: "/assistants/{assistantId}",
  tags,
  summary: "The assistant, by id or graph name",
  description,
  request: { params: assistantPath },
  responses: { 200: jsonObject("The assistant"), ...errors.byId },
});

const graphRoute = createRoute({
  method: "get",
  path: "/assistants/{assistantId}/graph",
  tags,
  summary: "The graph's nodes and edges (Studio draws it)",
  description,
  request: {
    params: assistantPath,
    query: z.object({ xray: z.enum(["true", "false"]).optional() }),
  },
  responses: { 200: jsonObject("Nodes and edges"), ...errors.byId },
});

const schemasRoute = createRoute({
  method: "get",
  path: "/assistants/{assistantId}/schemas",
  tags,
  summary: "Input, state and context schemas (Studio builds its forms from them)",
  description,
  request: { params: assistantPath },
  responses: { 200: jsonObject("JSON Schemas"), ...errors.byId },
});

const countRoute = createRoute({
  method: "post",
  path: "/assistants/count",
  tags,
  summary: "How many assistants match (one, or none)",
  description,
  request: {
    body: {
      required: false,
      content: json(z.looseObject({ graph_id: z.string().optional() })),
    },
  },
  responses: { 200: { description: "The count", content: json(z.number()) }, ...errors.body },
});

const subgraphsRoute = createRoute({
  method: "get",
  path: "/assistants/{assistantId}/subgraphs",
  tags,
  summary: "The graph's subgraphs: none",
  description,
  request: { params: assistantPath },
  responses: { 200: jsonObject("Subgraphs by namespace"), ...errors.byId },
});

const versionsRoute = createRoute({
  method: "post",
  path: "/assistants/{assistantId}/versions",
  tags,
  summary: "The assistant's versions: the one it has",
  description,
  request: { params: assistantPath },
  responses: { 200: jsonList("Versions, newest first"), ...errors.byId },
});

const matchesGraph = (graphId: string | undefined) => graphId === undefined || graphId === GRAPH_ID;

const VERSION = "0.1.0";

export function protocolMetaRoutes() {
  return routeGroup()
    .openapi(infoRoute, (c) =>
      c.json(
        {
          version: VERSION,
          langgraph_js_version: "1.7",
          flags: { assistants: true, crons: false, langsmith: false },
          host: { kind: "signoff", project_id: null, revision_id: VERSION },
        },
        200,
      ),
    )
    .openapi(searchRoute, (c) => {
      const parsed = c.req.valid("json") ?? {};
      const matches = matchesGraph(parsed.graph_id);
      return c.json(matches && (parsed.offset ?? 0) === 0 ? [assistantView()] : [], 200);
    })
    .openapi(countRoute, (c) => c.json(matchesGraph(c.req.valid("json")?.graph_id) ? 1 : 0, 200))
    .openapi(subgraphsRoute, (c) => {
      checkAssistant(c.req.valid("param").assistantId);
      return c.json({}, 200);
    })
    .openapi(versionsRoute, (c) => {
      checkAssistant(c.req.valid("param").assistantId);
      return c.json([assistantView()], 200);
    })
    .openapi(getRoute, (c) => {
      checkAssistant(c.req.valid("param").assistantId);
      return c.json(assistantView(), 200);
    })
    .openapi(graphRoute, async (c) => {
      checkAssistant(c.req.valid("param").assistantId);
      const xray = c.req.valid("query").xray === "true";
      return c.json(
        (await assistantGraph(c.var.services.protocol.graph, xray)) as z.infer<
          typeof protocolObject
        >,
        200,
      );
    })
    .openapi(schemasRoute, (c) => {
      checkAssistant(c.req.valid("param").assistantId);
      return c.json(assistantSchemas(), 200);
    });
}
