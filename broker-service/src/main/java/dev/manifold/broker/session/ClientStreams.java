package dev.manifold.broker.session;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendSupervisor;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A client session's SSE streams: one per POST answered with a stream, kept for {@code Last-Event-ID} resumption
 * until fetched, and the standalone GET stream, which also opens the session's backend GET streams so that what
 * backends send unsolicited reaches the client.
 */
@ApplicationScoped
public class ClientStreams {
    private final ClientSessions sessions;
    private final BackendSupervisor supervisor;
    private final BrokerConfig config;

    public ClientStreams(ClientSessions sessions, BackendSupervisor supervisor, BrokerConfig config) {
        this.sessions = sessions;
        this.supervisor = supervisor;
        this.config = config;
    }

    /** A new SSE stream answering one POST of this session. Finished streams no longer needed are dropped. */
    public EventStream openPostStream(ClientSession session) {
        long now = System.currentTimeMillis();
        long keep = config.streamReplayTtl().toMillis();
        session.streams.values().removeIf(s -> s.finished() && now - s.finishedAt() > keep);
        int excess = (int) session.streams.values().stream().filter(EventStream::finished).count()
                - (config.maxStreamsPerSession() - 1);
        if (excess > 0) {
            session.streams.values().stream().filter(EventStream::finished)
                    .sorted(java.util.Comparator.comparingLong(s -> Long.parseLong(s.id().substring(1)))) // opened first
                    .limit(excess).toList()
                    .forEach(oldest -> session.streams.remove(oldest.id(), oldest));
        }
        EventStream stream = new EventStream("p" + session.streamIds.incrementAndGet(), config.streamReplayEvents());
        session.streams.put(stream.id(), stream);
        return stream;
    }

    /** The final message of a POST stream went out: forget the stream unless the client still has to fetch it. */
    public void finishPostStream(ClientSession session, EventStream stream) {
        if (stream.finish()) {
            session.streams.remove(stream.id(), stream);
        }
    }

    /**
     * Attaches the client's GET stream. With a {@code Last-Event-ID} of one of the session's streams, the events
     * after it are replayed and that stream continues on this connection; otherwise it becomes the session's
     * standalone stream, and the session's backend GET streams are opened so their messages reach it.
     */
    public void attachStream(ClientSession session, HttpServerResponse response, String lastEventId) {
        if (lastEventId != null) {
            int dot = lastEventId.lastIndexOf('.');
            String streamId = dot > 0 ? lastEventId.substring(0, dot) : lastEventId;
            EventStream resumed = "g".equals(streamId) ? session.standalone : session.streams.get(streamId);
            long seq = resumed == null ? -1 : EventStream.seqOf(lastEventId, streamId);
            if (resumed != null && seq >= 0) {
                resumed.attach(response, seq);
                if (resumed.finished() && resumed != session.standalone) {
                    session.streams.remove(streamId, resumed);
                }
                return;
            }
        }
        EventStream standalone;
        synchronized (session) {
            standalone = session.standalone;
            if (standalone == null) {
                standalone = new EventStream("g", config.streamReplayEvents());
                session.standalone = standalone;
            }
        }
        standalone.attach(response, 0);
        for (Backend backend : supervisor.all()) {
            ClientSession.BackendSession bs = session.openBackends.get(backend.key());
            if (bs != null) {
                sessions.openBackendStream(session, backend, bs, session.clientToken());
            }
        }
    }
}
