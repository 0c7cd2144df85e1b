package chainprobe.wiremock;

import com.github.tomakehurst.wiremock.extension.Extension;
import com.github.tomakehurst.wiremock.extension.ExtensionFactory;
import com.github.tomakehurst.wiremock.extension.WireMockServices;
import java.util.List;

/** Found by WireMock's extension scanning (META-INF/services): gives the filter the admin API. */
public final class RateLimitFactory implements ExtensionFactory {
  @Override
  public List<Extension> create(WireMockServices services) {
    return List.of(new RateLimitFilter(services.getAdmin()));
  }
}
