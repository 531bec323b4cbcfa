import DataPlane

// Several modules name these; inside the cluster the data plane's meaning wins.
typealias SequenceID = DataPlane.SequenceID
