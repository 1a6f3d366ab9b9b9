#include "dataplane/kafka/messages/group.h"

namespace rill::kafka {

void normalize_offset_fetch(offset_fetch_request* r, int16_t version) {
  if (version >= 8) return;
  r->groups.clear();
  r->groups.push_back({.group_id = r->group_id, .topics = r->topics});
}

}  // namespace rill::kafka
