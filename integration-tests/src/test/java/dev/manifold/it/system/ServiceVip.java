package dev.manifold.it.system;

import dev.manifold.it.support.ItEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kubernetes Service's virtual IP for a few replicas on loopback ports: a TCP relay that sends each new
 * connection to the next ready replica, round robin. Like the kubelet's readiness probe and the endpoints
 * controller, it probes each replica's readiness path every 250 ms and routes only to replicas that answer 200; a
 * replica that refuses the connection (killed a moment ago) is skipped too. Connections already open to a replica
 * that dies are cut, as they would be. Used as the proxy-runner Service the brokers point at.
 */
final class ServiceVip implements AutoCloseable {

    private final String name;
    private final List<Integer> replicaPorts;
    private final String readinessPath;
    private final Set<Integer> ready = ConcurrentHashMap.newKeySet();
    private final HttpClient probes = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final ServerSocket listener;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    ServiceVip(String name, List<Integer> replicaPorts, String readinessPath) {
        this.name = name;
        this.replicaPorts = List.copyOf(replicaPorts);
        this.readinessPath = readinessPath;
        try {
            listener = new ServerSocket(ItEnvironment.freePort(), 128, InetAddress.getByName("127.0.0.1"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the " + name + " Service port", e);
        }
        Thread acceptor = new Thread(this::accept, name + "-vip");
        acceptor.setDaemon(true);
        acceptor.start();
        Thread prober = new Thread(this::probe, name + "-readiness");
        prober.setDaemon(true);
        prober.start();
    }

    private void probe() {
        while (!closed) {
            for (int port : replicaPorts) {
                try {
                    HttpResponse<Void> answer = probes.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + readinessPath))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                    if (answer.statusCode() == 200) {
                        ready.add(port);
                    } else {
                        ready.remove(port);
                    }
                } catch (IOException notListening) {
                    ready.remove(port);
                } catch (InterruptedException e) {
                    return;
                }
            }
            try {
                Thread.sleep(250); // the probe period, as a kubelet's periodSeconds
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Thread relay = new Thread(() -> relay(client), name + "-conn");
                relay.setDaemon(true);
                relay.start();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println(name + " Service stopped accepting: " + e);
                }
                return;
            }
        }
    }

    private void relay(Socket client) {
        Socket replica = connectToAReplica();
        if (replica == null) {
            closeQuietly(client);
            return;
        }
        Thread back = new Thread(() -> pump(replica, client), name + "-back");
        back.setDaemon(true);
        back.start();
        pump(client, replica);
    }

    private Socket connectToAReplica() {
        for (int attempt = 0; attempt < replicaPorts.size(); attempt++) {
            int port = replicaPorts.get(Math.floorMod(next.getAndIncrement(), replicaPorts.size()));
            if (!ready.contains(port)) {
                continue;
            }
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                socket.setTcpNoDelay(true);
                return socket;
            } catch (IOException refused) {
                closeQuietly(socket);
            }
        }
        return null;
    }

    /** Copies until either side ends, then closes both (a reset on one side cuts the other). */
    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
