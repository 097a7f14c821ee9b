package dev.socketserver.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The Netty peers of the end-to-end harness, written as Netty's own examples write them:
 * {@code NettyServers echo|http epoll|nio PORT}. One event loop thread accepts and serves every
 * connection (the harness pins the process to one core); TCP_NODELAY on, backlog 4096.
 *
 * <ul>
 *   <li>{@code echo}: writes back every buffer it reads, flushes at the end of each read batch
 *       (Netty's EchoServer).
 *   <li>{@code http}: {@code HttpServerCodec} and a handler answering every request with
 *       {@code 200 OK}, {@code Content-Type: text/plain}, {@code Content-Length: 13} and
 *       {@code Hello, World!}, keeping the connection alive as HTTP/1.1 says (Netty's
 *       HttpHelloWorldServer).
 * </ul>
 * Runs until killed.
 */
public final class NettyServers {
  static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

  private NettyServers() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: NettyServers echo|http epoll|nio PORT");
      System.exit(2);
    }
    boolean epoll = switch (args[1]) {
      case "epoll" -> true;
      case "nio" -> false;
      default -> throw new IllegalArgumentException("transport must be epoll or nio: " + args[1]);
    };
    ChannelInitializer<SocketChannel> init = switch (args[0]) {
      case "echo" -> new ChannelInitializer<>() {
        @Override
        protected void initChannel(SocketChannel ch) {
          ch.pipeline().addLast(EchoHandler.INSTANCE);
        }
      };
      case "http" -> new ChannelInitializer<>() {
        @Override
        protected void initChannel(SocketChannel ch) {
          ch.pipeline().addLast(new HttpServerCodec(), new HttpServerExpectContinueHandler(), new HelloHandler());
        }
      };
      default -> throw new IllegalArgumentException("server must be echo or http: " + args[0]);
    };
    int port = Integer.parseInt(args[2]);
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, io);
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(type)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(init)
          .bind(new InetSocketAddress("127.0.0.1", port))
          .sync()
          .channel();
      System.out.println("netty " + args[0] + " " + args[1] + " listening on " + server.localAddress());
      server.closeFuture().sync();
    } finally {
      group.shutdownGracefully();
    }
  }

  @Sharable
  private static final class EchoHandler extends ChannelInboundHandlerAdapter {
    static final EchoHandler INSTANCE = new EchoHandler();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final class HelloHandler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        FullHttpResponse response = new DefaultFullHttpResponse(
            req.protocolVersion(), HttpResponseStatus.OK, Unpooled.wrappedBuffer(HELLO));
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (keepAlive) {
          if (!req.protocolVersion().isKeepAliveDefault()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
          }
          ctx.write(response);
        } else {
          response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          ctx.write(response).addListener(ChannelFutureListener.CLOSE);
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
