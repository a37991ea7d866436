// A second translation unit that includes sluice.hpp: linked into the same test
// program as test_sluice_hpp.cpp, it proves the header is ODR-safe (everything
// in it is inline) and that the two TUs can pass its types to each other.
#include <sluice/sluice.hpp>

#include <cstdint>
#include <string>

namespace sluice_test {

sluice::Reader open_in_second_tu(const std::string& path, std::uint64_t batch_size) {
  sluice::Connector connector = sluice::Connector::open({path});
  return connector.read(sluice::ReadOptions().columns({"id"}).batch_size(batch_size));
}

}  // namespace sluice_test
