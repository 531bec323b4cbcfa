import Hummingbird

/// `GET /v1/models` (OpenAI's list shape) and `GET /v1/models/{model}` (one entry; names may contain "/").
struct ModelsRoutes: Sendable {
    let service: any InferenceService

    /// One entry of the list; `context_length` is an extension to OpenAI's shape.
    struct Entry: Encodable, Sendable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy: String
        var contextLength: Int

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
            case contextLength = "context_length"
        }

        init(_ model: ServedModel) {
            id = model.name
            created = Int(model.created.timeIntervalSince1970)
            ownedBy = model.ownedBy
            contextLength = model.contextLength
        }
    }

    /// The list.
    struct List: Encodable, Sendable {
        var object = "list"
        var data: [Entry]
    }

    func register(on router: Router<APIRequestContext>) {
        router.get("/v1/models") { _, _ in
            try JSONResponse.make(List(data: await service.servedModels().map(Entry.init)))
        }
        router.get("/v1/models/**") { _, context in
            let name = context.parameters.getCatchAll().joined(separator: "/")
            guard let model = await service.servedModels().first(where: { $0.name == name }) else {
                throw APIError.modelNotFound(name)
            }
            return try JSONResponse.make(Entry(model))
        }
    }
}
