/// JSON forms that read like the topology file: a model source is its written string, and a placement is
/// `{"auto": {…}}` or `{"explicit": [stages]}`.
extension Topology.ModelSource {
    /// Decodes the source from the string a topology file would hold (`default`, a path or a URL).
    public init(from decoder: any Decoder) throws {
        let written = try decoder.singleValueContainer().decode(String.self)
        switch Topology.ModelSource.parse(written) {
        case .success(let source): self = source
        case .failure(let problem):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem.message))
        }
    }

    /// Encodes the source as the string a topology file would hold.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(written)
    }
}

extension Topology.Placement {
    private enum CodingKeys: String, CodingKey {
        case auto, explicit
    }

    /// Decodes `{"auto": {…}}` or `{"explicit": [stages]}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let auto = try container.decodeIfPresent(Topology.AutoPlacement.self, forKey: .auto) {
            self = .auto(auto)
        } else if let stages = try container.decodeIfPresent([Topology.Stage].self, forKey: .explicit) {
            self = .explicit(stages)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a placement needs an 'auto' or 'explicit' key"))
        }
    }

    /// Encodes `{"auto": {…}}` or `{"explicit": [stages]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .auto(let auto): try container.encode(auto, forKey: .auto)
        case .explicit(let stages): try container.encode(stages, forKey: .explicit)
        }
    }
}
