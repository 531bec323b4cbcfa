// ZeroMQ: a thin binding of Debian's libzmq 4.3.4, stable API only (research/zeromq.md).
//
// Written by hand: no maintained Swift binding exists (research/zeromq.md §1.1). It knows nothing of Brigade's
// message format. Pieces: `ZMQContext` (safe defaults), `ZMQSocket` with typed `ZMQSocketOption`s, `ZMQMessage`
// (non-copyable `zmq_msg_t`, zero-copy sends) and `ZMQFrame` (a received part at a stable address), `IOThread`
// (the one thread that owns sockets, polling them with an eventfd; also a `TaskExecutor`), `ZMQMonitor` (socket
// events), `CurveKeyPair`/`Z85` and `ZAPHandler` (CURVE authentication), and `RawEcho` (the baseline benchmark).
