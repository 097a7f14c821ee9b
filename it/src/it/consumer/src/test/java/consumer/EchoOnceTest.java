package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.tcp.TcpServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoOnceTest {

  @Test
  void the_library_is_on_the_path_this_execution_names() {
    String path = System.getProperty("consumer.path");
    boolean named = TcpServer.class.getModule().isNamed();
    assertEquals("module".equals(path), named,
        "consumer.path=" + path + " but TcpServer is in " + TcpServer.class.getModule());
    if (named) {
      assertEquals("dev.socketserver.tcp", TcpServer.class.getModule().getName());
      assertEquals("consumer", EchoOnce.class.getModule().getName());
    }
  }

  @Test
  void a_tcp_server_echoes_a_line_to_a_tcp_client() throws Exception {
    assertEquals("hello over tcp", EchoOnce.tcp("hello over tcp"));
  }

  @Test
  void a_udp_server_echoes_a_datagram_to_a_udp_client() throws Exception {
    assertEquals("hello over udp", EchoOnce.udp("hello over udp"));
  }
}
