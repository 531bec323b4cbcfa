import Foundation
import Hummingbird
import Prometheus

/// `GET /health`, `GET /metrics` (Prometheus text format) and `GET /v1/cluster` (the service's `ClusterStatus`).
struct OperationsRoutes: Sendable {
    let service: any InferenceService
    let registry: PrometheusCollectorRegistry

    struct Health: Encodable, Sendable {
        var status = "ok"
        var models: Int
    }

    func register(on router: Router<APIRequestContext>) {
        router.get("/health") { _, _ in
            try JSONResponse.make(Health(models: await service.servedModels().count))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/v1/cluster") { _, _ in
            let data = try Self.clusterEncoder.encode(await service.clusterStatus())
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// ISO 8601 dates, keys sorted (ClusterStatus's own coding keys are snake_case).
    static let clusterEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}
