// What the transport's design costs in plain C, with none of Brigade's code: the floor under `brigade bench rpc`.
//
// A client and a forked server process do sequential 100-byte echo round trips over TCP loopback, in one of
// four designs, each a step from libzmq's own echo towards the shape of Brigade's transport:
//   raw      one DEALER/ROUTER connection, blocking send and receive (what `bench rpc` calls raw);
//   two      call on the client's DEALER to the server's ROUTER, answer on the server's DEALER to the client's
//            ROUTER (Brigade's mailboxes and inboxes); still blocking;
//   poll     as two, but both sides read with ZMQ_DONTWAIT until EAGAIN and then block in poll(2) on the
//            socket's ZMQ_FD (Brigade's I/O thread loop);
//   handoff  as poll, but on the client a second thread reads the answers and wakes the sending thread through a
//            semaphore (Brigade's I/O thread resuming a caller's continuation).
// Prints one JSON line: {"bench":"zmq_design_floor","design":...,"p50_us":...,"p99_us":...}.
//
//   cc -O2 -o zmq_design_floor zmq_design_floor.c -lzmq -lpthread
//   ./zmq_design_floor DESIGN CALLS PORT
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

enum design { RAW, TWO, POLL, HANDOFF };

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what) {
    fprintf(stderr, "zmq_design_floor: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static int signal_fd(void *socket) {
    int fd;
    size_t size = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &size) != 0) fail("ZMQ_FD");
    return fd;
}

// Reads one [routing id][payload] message from a ROUTER without blocking; 0 when none was waiting.
static int read_routed(void *router, char *payload, size_t capacity, int *length) {
    char id[256];
    if (zmq_recv(router, id, sizeof id, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() == EAGAIN) return 0;
        fail("receive");
    }
    *length = zmq_recv(router, payload, capacity, 0);
    if (*length < 0) fail("receive payload");
    return 1;
}

static void serve(enum design design, const char *inbox, const char *reply_to) {
    void *context = zmq_ctx_new();
    void *router = zmq_socket(context, ZMQ_ROUTER);
    if (zmq_bind(router, inbox) != 0) fail("server bind");
    void *dealer = NULL;
    if (design != RAW) {
        dealer = zmq_socket(context, ZMQ_DEALER);
        if (zmq_connect(dealer, reply_to) != 0) fail("server connect");
    }
    char id[256], payload[1024];
    struct pollfd ready = {signal_fd(router), POLLIN, 0};
    for (;;) {
        if (design == RAW || design == TWO) {
            int id_length = zmq_recv(router, id, sizeof id, 0);
            int length = zmq_recv(router, payload, sizeof payload, 0);
            if (id_length < 0 || length < 0) fail("server receive");
            if (design == RAW) {
                zmq_send(router, id, id_length, ZMQ_SNDMORE);
                zmq_send(router, payload, length, 0);
            } else {
                zmq_send(dealer, payload, length, 0);
            }
            continue;
        }
        int length;
        while (read_routed(router, payload, sizeof payload, &length)) zmq_send(dealer, payload, length, ZMQ_DONTWAIT);
        poll(&ready, 1, -1);
    }
}

static sem_t answered;
static void *client_inbox;

static void *read_answers(void *unused) {
    (void)unused;
    char payload[1024];
    struct pollfd ready = {signal_fd(client_inbox), POLLIN, 0};
    for (;;) {
        int length;
        while (read_routed(client_inbox, payload, sizeof payload, &length)) sem_post(&answered);
        poll(&ready, 1, -1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s raw|two|poll|handoff CALLS PORT\n", argv[0]);
        return 2;
    }
    const char *names[] = {"raw", "two", "poll", "handoff"};
    int design = -1;
    for (int i = 0; i < 4; i++) if (strcmp(argv[1], names[i]) == 0) design = i;
    int calls = atoi(argv[2]), port = atoi(argv[3]);
    if (design < 0 || calls < 1 || port < 1 || port > 65534) {
        fprintf(stderr, "zmq_design_floor: bad arguments\n");
        return 2;
    }
    char inbox[64], reply_to[64];
    snprintf(inbox, sizeof inbox, "tcp://127.0.0.1:%d", port);
    snprintf(reply_to, sizeof reply_to, "tcp://127.0.0.1:%d", port + 1);

    pid_t server = fork();
    if (server < 0) return 1;
    if (server == 0) serve(design, inbox, reply_to);

    void *context = zmq_ctx_new();
    void *dealer = zmq_socket(context, ZMQ_DEALER);
    if (zmq_connect(dealer, inbox) != 0) fail("client connect");
    if (design != RAW) {
        client_inbox = zmq_socket(context, ZMQ_ROUTER);
        if (zmq_bind(client_inbox, reply_to) != 0) fail("client bind");
    }
    pthread_t reader;
    if (design == HANDOFF) {
        sem_init(&answered, 0, 0);
        pthread_create(&reader, NULL, read_answers, NULL);
    }
    char payload[1024];
    memset(payload, 0x5A, 100);
    const int warmup = 2000;
    long long *samples = malloc(sizeof(long long) * (size_t)calls);
    struct pollfd ready = {design == POLL ? signal_fd(client_inbox) : -1, POLLIN, 0};
    for (int i = 0; i < warmup + calls; i++) {
        long long start = now_ns();
        if (zmq_send(dealer, payload, 100, 0) != 100) fail("client send");
        int length = 0;
        switch (design) {
        case RAW: length = zmq_recv(dealer, payload, sizeof payload, 0); break;
        case TWO: {
            char id[256];
            if (zmq_recv(client_inbox, id, sizeof id, 0) < 0) fail("client receive");
            length = zmq_recv(client_inbox, payload, sizeof payload, 0);
            break;
        }
        case POLL:
            while (!read_routed(client_inbox, payload, sizeof payload, &length)) poll(&ready, 1, -1);
            break;
        case HANDOFF:
            while (sem_wait(&answered) != 0) {}
            length = 100;
            break;
        }
        if (length != 100) fail("echo length");
        if (i >= warmup) samples[i - warmup] = now_ns() - start;
    }
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    qsort(samples, (size_t)calls, sizeof(long long), by_value);
    printf("{\"bench\":\"zmq_design_floor\",\"design\":\"%s\",\"calls\":%d,\"p50_us\":%.3f,\"p99_us\":%.3f}\n", names[design],
           calls, samples[calls / 2] / 1000.0, samples[(long)calls * 99 / 100] / 1000.0);
    fflush(stdout);
    _exit(0);  // the handoff reader never returns; skip tearing down a context it still uses
}
