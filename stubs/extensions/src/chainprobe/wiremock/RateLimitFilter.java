package chainprobe.wiremock;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Metadata;
import com.github.tomakehurst.wiremock.core.Admin;
import com.github.tomakehurst.wiremock.extension.requestfilter.RequestFilterAction;
import com.github.tomakehurst.wiremock.extension.requestfilter.StubRequestFilterV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.matching.MatchesJsonPathPattern;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.List;

/**
 * A courier's rate limit: a token bucket (AWS API Gateway's throttling model) in front of the stubs.
 *
 * <p>Configured by data, not flags: a loaded stub whose metadata holds
 * {@code "chainprobeRateLimit": {"method": "POST", "urlPath": "/deliveries", "ratePerSecond": 10, "burst": 10}}
 * turns the limit on for requests with that method and path; removing the stub turns it off. The
 * bucket holds {@code burst} tokens, refills {@code ratePerSecond} a second and starts full; a
 * request that finds no token is answered 429 with {@code Retry-After: 1} before any stub is matched
 * (so it does not advance a scenario) and is journaled like every other request.
 */
public final class RateLimitFilter implements StubRequestFilterV2 {
  static final String KEY = "chainprobeRateLimit";

  private final Admin admin;
  private Metadata config;
  private double tokens;
  private long lastNanos;

  RateLimitFilter(Admin admin) {
    this.admin = admin;
  }

  @Override
  public String getName() {
    return "chainprobe-rate-limit";
  }

  @Override
  public RequestFilterAction filter(Request request, ServeEvent serveEvent) {
    Metadata limit = currentLimit();
    if (limit == null
        || !limit.getString("method", "ANY").equalsIgnoreCase(request.getMethod().getName())
            && !limit.getString("method", "ANY").equals("ANY")
        || !request.getUrl().split("\\?", 2)[0].equals(limit.getString("urlPath"))) {
      return RequestFilterAction.continueWith(request);
    }
    if (take(limit, System.nanoTime())) {
      return RequestFilterAction.continueWith(request);
    }
    return RequestFilterAction.stopWith(
        ResponseDefinitionBuilder.responseDefinition()
            .withStatus(429)
            .withHeader("Content-Type", "application/json")
            .withHeader("Retry-After", "1")
            .withBody("{\"message\": \"Too Many Requests\"}")
            .build());
  }

  private Metadata currentLimit() {
    List<StubMapping> stubs =
        admin.findAllStubsByMetadata(new MatchesJsonPathPattern("$." + KEY)).getMappings();
    return stubs.isEmpty() ? null : stubs.get(0).getMetadata().getMetadata(KEY);
  }

  /** Takes one token if there is one; a changed configuration starts a full bucket. */
  synchronized boolean take(Metadata limit, long nowNanos) {
    double rate = ((Number) limit.get("ratePerSecond")).doubleValue();
    double burst = ((Number) limit.get("burst")).doubleValue();
    if (!limit.equals(config)) {
      config = limit;
      tokens = burst;
      lastNanos = nowNanos;
    }
    tokens = Math.min(burst, tokens + (nowNanos - lastNanos) / 1e9 * rate);
    lastNanos = nowNanos;
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return true;
    }
    return false;
  }
}
