#include "dataplane/kafka/messages/metadata.h"

namespace rill::kafka {

std::optional<std::vector<std::string>> requested_topic_names(const metadata_request& r,
                                                              int16_t version) {
  if (!r.topics || (version == 0 && r.topics->empty())) return std::nullopt;
  std::vector<std::string> names;
  for (const metadata_request_topic& t : *r.topics) {
    if (t.name) names.push_back(*t.name);
  }
  return names;
}

}  // namespace rill::kafka
