package dev.socketserver.engine.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;

class ClientMdcTest {

  @Test
  void aProviderThatKeepsAnMdcSeesTheClientWhileTheHandlerRuns() throws IOException {
    FakeAcceptor acceptor = new FakeAcceptor();
    FakeAcceptor.Request request = acceptor.connect();
    MDCAdapter kept = new BasicMDCAdapter();
    ClientMdc mdc = new ClientMdc(kept);

    mdc.put(acceptor, request);
    assertEquals(request.name, kept.get(ClientMdc.KEY));
    mdc.remove();

    assertNull(kept.get(ClientMdc.KEY));
    assertEquals(1, acceptor.described.get());
  }

  @Test
  void aProviderWithoutAnMdcCostsNoDescriptionOfTheClient() throws IOException {
    FakeAcceptor acceptor = new FakeAcceptor();
    FakeAcceptor.Request request = acceptor.connect();

    for (ClientMdc none : new ClientMdc[] {new ClientMdc(new NOPMDCAdapter()), new ClientMdc(null)}) {
      none.put(acceptor, request);
      none.remove();
    }

    assertEquals(0, acceptor.described.get(), "times the client was formatted for an MDC nobody keeps");
  }

  @Test
  void theTestsProviderKeepsNoMdcSoServersInTheseTestsDescribeNoClientPerTurn() {
    // slf4j-simple, the provider of these tests and of the benchmarks: what the fast path is for.
    assertEquals(NOPMDCAdapter.class, org.slf4j.MDC.getMDCAdapter().getClass());
  }
}
