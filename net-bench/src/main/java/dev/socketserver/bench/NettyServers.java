package dev.socketserver.bench;

import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
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
 * {@code NettyServers echo|http|udp epoll|nio PORT [LOOPS]} and
 * {@code NettyServers unix epoll PATH [LOOPS]}. By default one event loop thread accepts and serves
 * every connection (the harness pins the process to one core); with LOOPS (the harness's scale and
 * shared layouts give one per core the server has) a group of that many loops accepts on one of
 * them and spreads the connections round-robin over all, as a Netty server sized to its cores
 * does; a UDP epoll server then binds LOOPS {@code SO_REUSEPORT} channels, one per loop.
 * TCP_NODELAY on, backlog 4096.
 *
 * <ul>
 *   <li>{@code echo}: writes back every buffer it reads, flushes at the end of each read batch
 *       (Netty's EchoServer).
 *   <li>{@code http}: {@code HttpServerCodec} and a handler answering every request with
 *       {@code 200 OK}, {@code Content-Type: text/plain}, {@code Content-Length: 13} and
 *       {@code Hello, World!}, keeping the connection alive as HTTP/1.1 says (Netty's
 *       HttpHelloWorldServer).
 *   <li>{@code udp}: sends each datagram back to its sender, flushing at the end of each read batch.
 *   <li>{@code unix}: {@code echo} over a Unix stream socket (epoll only).
 * </ul>
 * Runs until killed.
 */
public final class NettyServers {
  static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

  private NettyServers() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3 && args.length != 4) {
      System.err.println("usage: NettyServers echo|http|udp epoll|nio PORT [LOOPS] | unix epoll PATH [LOOPS]");
      System.exit(2);
    }
    int loops = args.length == 4 ? Integer.parseInt(args[3]) : 1;
    if (loops < 1) {
      throw new IllegalArgumentException("LOOPS must be at least 1: " + loops);
    }
    boolean epoll = switch (args[1]) {
      case "epoll" -> true;
      case "nio" -> false;
      default -> throw new IllegalArgumentException("transport must be epoll or nio: " + args[1]);
    };
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, io);
    try {
      if (args[0].equals("udp")) {
        Bootstrap b = new Bootstrap()
            .group(group)
            .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
            .handler(UdpEchoHandler.INSTANCE);
        int channels = epoll ? loops : 1;
        if (channels > 1) {
          b.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2]));
        Channel ch = b.bind(at).sync().channel();
        for (int i = 1; i < channels; i++) { // each bind takes the group's next loop
          b.bind(at).sync();
        }
        System.out.println("netty udp " + args[1] + " on " + ch.localAddress() + ", " + channels + " channel(s)");
        ch.closeFuture().sync();
        return;
      }
      serve(args, epoll, group, loops);
    } finally {
      group.shutdownGracefully();
    }
  }

  private static void serve(String[] args, boolean epoll, EventLoopGroup group, int loops) throws InterruptedException {
    ChannelInitializer<Channel> init = switch (args[0]) {
      case "echo", "unix" -> new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(EchoHandler.INSTANCE);
        }
      };
      case "http" -> new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(new HttpServerCodec(), new HttpServerExpectContinueHandler(), new HelloHandler());
        }
      };
      default -> throw new IllegalArgumentException("server must be echo, http, udp or unix: " + args[0]);
    };
    boolean unix = args[0].equals("unix");
    if (unix && !epoll) {
      throw new IllegalArgumentException("unix needs epoll");
    }
    Class<? extends ServerChannel> type = unix ? EpollServerDomainSocketChannel.class
        : epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(type)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childHandler(init);
    if (!unix) {
      b.option(ChannelOption.SO_REUSEADDR, true).childOption(ChannelOption.TCP_NODELAY, true);
    }
    Channel server = b.bind(unix ? new DomainSocketAddress(args[2]) : new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2])))
        .sync()
        .channel();
    System.out.println("netty " + args[0] + " " + args[1] + " listening on " + server.localAddress()
        + ", " + loops + " event loop(s)");
    server.closeFuture().sync();
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

  @Sharable
  private static final class UdpEchoHandler extends ChannelInboundHandlerAdapter {
    static final UdpEchoHandler INSTANCE = new UdpEchoHandler();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      DatagramPacket p = (DatagramPacket) msg;
      ctx.write(new DatagramPacket(p.content(), p.sender()));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
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
