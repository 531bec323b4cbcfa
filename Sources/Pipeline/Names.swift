import DataPlane

// The data plane and the engine both name these; inside the pipeline the data plane's meaning wins.
typealias SequenceID = DataPlane.SequenceID
typealias FinishReason = DataPlane.FinishReason
