package dev.manifold.runtime.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Raw client sockets for tests of connection handling (idle timeouts, connection caps, slow clients). */
public final class RawSockets {
    private RawSockets() {
    }

    /** A connection to 127.0.0.1:{@code port} that has sent {@code bytes} (maybe an unfinished request). */
    public static Socket open(int port, String bytes) {
        try {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(200);
            socket.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the server has closed the connection: reads what is there for up to the socket's read timeout (200 ms)
     * and answers {@code true} at end of stream or a reset, {@code false} while it stays open.
     */
    public static boolean closedByServer(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (true) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** What arrives on the connection within {@code millis} (or until the server closes it), as text. */
    public static String readFor(Socket socket, long millis) {
        StringBuilder text = new StringBuilder();
        long end = System.nanoTime() + millis * 1_000_000;
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (System.nanoTime() < end) {
                try {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                } catch (SocketTimeoutException again) {
                    // keep reading until the time is up
                }
            }
        } catch (IOException e) {
            text.append("<reset>");
        }
        return text.toString();
    }
}
