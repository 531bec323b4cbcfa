/// An error decoding or handling a data-plane message.
public struct DataPlaneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; an open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// Bytes that are not a valid data-plane message.
        public static let malformed = Code("malformed")
        /// A message of a type or version this build does not know.
        public static let unsupported = Code("unsupported")
        public var description: String { name }
    }

    public var code: Code
    /// A sentence naming the message and field that was wrong.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "DataPlaneError.\(code): \(message)" }
}
