extension Topology.Endpoint {
    /// Parses `host:port` or `[v6-address]:port`; the host's own syntax is checked by the validator.
    static func parse(_ text: String) -> Result<Topology.Endpoint, ValueProblem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(ValueProblem("'\(text)' is not 'host:port' ('[address]:port' for IPv6)"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                let problem = parts.count > 2
                    ? "'\(text)' has several ':'; write an IPv6 address in brackets, as [::1]:8080"
                    : "'\(text)' has no port; expected 'host:port' such as 127.0.0.1:8080"
                return .failure(ValueProblem(problem))
            }
            host = parts[0]
            portText = parts[1]
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            return .failure(ValueProblem("'\(portText)' in '\(text)' is not a port (1...65535)"))
        }
        guard !host.isEmpty else { return .failure(ValueProblem("'\(text)' has no host")) }
        return .success(Topology.Endpoint(host: String(host), port: port))
    }
}

extension Topology.ModelSource {
    /// Classifies a written source: `default`, an `http(s)://` URL, a `.gguf` file, or else a Hugging Face folder.
    static func parse(_ written: String) -> Result<Topology.ModelSource, ValueProblem> {
        if written == "default" { return .success(.default) }
        if written.isEmpty { return .failure(ValueProblem("is empty")) }
        let lowered = written.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            let rest = written.drop { $0 != "/" }.dropFirst(2)
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard !authority.isEmpty, !written.contains(where: { $0 == " " || $0 == "\t" }) else {
                return .failure(ValueProblem("'\(written)' is not a valid URL (no host, or spaces)"))
            }
            return .success(.url(written))
        }
        if let scheme = written.range(of: "://") {
            return .failure(ValueProblem(
                "unsupported scheme '\(written[..<scheme.lowerBound])://' (use 'default', a local path or an "
                    + "http(s):// URL)"))
        }
        if lowered.hasSuffix(".gguf") { return .success(.ggufFile(path: written)) }
        return .success(.huggingFaceDirectory(path: written))
    }
}
