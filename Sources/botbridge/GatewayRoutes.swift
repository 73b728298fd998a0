import HTTP

/// The routes `serve` mounts. For now: health, metrics, and the optional benchmark echo.
enum GatewayRoutes {
    static func router(metrics: HTTPServerMetrics, echo: Bool) -> Router {
        var router = Router()
        let health = Array(#"{"status":"ok"}"#.utf8)
        router.get("/healthz") { _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: health)
        }
        router.get("/metrics") { _, _ in
            HTTPResponse.text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        if echo {
            // Benchmarks only (`serve --echo`): answers the request body as it came.
            router.post("/echo") { request, _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": request.headers["Content-Type"] ?? "application/octet-stream"], body: request.body)
            }
        }
        return router
    }
}
