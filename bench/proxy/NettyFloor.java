import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Benchmark reference, not product code: the least a JVM proxy on Netty's epoll transport and HTTP codecs does for
 * the benchmark's follow-up request. It swaps the session header in both directions, drops hop-by-hop headers and
 * relays request and response on a pooled keep-alive backend connection of the same event loop. It has no session
 * lookup, no metrics, no timeouts, no error handling and no second pod: it measures what the JVM and Netty cost
 * before the proxy-runner adds anything, so run.sh can tell that floor from the proxy-runner's own overhead.
 *
 * <p>Run by run.sh as a single-file source program: {@code java -cp <netty jars> NettyFloor.java <port> <backend-port>
 * <event-loops>}.
 */
public final class NettyFloor {

    private static final String SESSION = "mcp-session-id";
    private static final List<String> DROPPED = List.of("connection", "keep-alive", "host", "te", "trailer",
            "transfer-encoding", "upgrade", SESSION);

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        EpollEventLoopGroup loops = new EpollEventLoopGroup(Integer.parseInt(args[2]));
        Bootstrap client = new Bootstrap().group(loops).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new Upstream());
                    }
                });
        new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new Downstream(client, backend));
                    }
                })
                .bind("127.0.0.1", port).sync().channel().closeFuture().sync();
    }

    /** Idle backend connections of the current event loop (each loop has its own). */
    private static final ThreadLocal<ArrayDeque<Channel>> IDLE = ThreadLocal.withInitial(ArrayDeque::new);

    private static final class Upstream extends ChannelInboundHandlerAdapter {
        Channel client;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel to = client;
            if (msg instanceof HttpResponse response) {
                response.headers().set(SESSION, "floor-session");
            }
            if (msg instanceof LastHttpContent) {
                client = null;
                IDLE.get().push(ctx.channel());
                to.writeAndFlush(msg);
            } else {
                to.write(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            IDLE.get().remove(ctx.channel());
        }
    }

    private static final class Downstream extends ChannelInboundHandlerAdapter {
        private final Bootstrap client;
        private final InetSocketAddress backend;
        private final List<Object> waiting = new ArrayList<>();
        private Channel upstream;
        private boolean connecting;

        Downstream(Bootstrap client, InetSocketAddress backend) {
            this.client = client;
            this.backend = backend;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest in) {
                HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), "/mcp");
                for (Map.Entry<String, String> h : in.headers()) {
                    if (!DROPPED.contains(h.getKey().toLowerCase())) {
                        out.headers().add(h.getKey(), h.getValue());
                    }
                }
                out.headers().set("host", "127.0.0.1").set(SESSION, "bench-backend-session");
                Channel idle = IDLE.get().poll();
                if (idle != null) {
                    attach(idle, ctx.channel()).write(out);
                    return;
                }
                connecting = true;
                waiting.add(out);
                ctx.channel().config().setAutoRead(false);
                ChannelFuture connect = client.connect(backend);
                connect.addListener(done -> {
                    connecting = false;
                    if (!done.isSuccess()) {
                        ctx.close();
                        return;
                    }
                    attach(connect.channel(), ctx.channel());
                    waiting.forEach(upstream::write);
                    waiting.clear();
                    upstream.flush();
                    ctx.channel().config().setAutoRead(true);
                });
            } else if (connecting) {
                waiting.add(msg);
            } else if (msg instanceof LastHttpContent) {
                upstream.writeAndFlush(msg);
            } else if (msg instanceof HttpContent) {
                upstream.write(msg);
            }
        }

        private Channel attach(Channel backendChannel, Channel clientChannel) {
            backendChannel.pipeline().get(Upstream.class).client = clientChannel;
            upstream = backendChannel;
            return backendChannel;
        }
    }
}
