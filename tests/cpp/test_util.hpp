// Helpers shared by the C++ tests: where the data is, and the files make_data.py writes.
#ifndef SLUICE_TEST_UTIL_HPP
#define SLUICE_TEST_UTIL_HPP

#include <sluice/sluice.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sluice_test {

/// The directory make_data.py wrote (ctest sets SLUICE_CPP_TEST_DATA).
inline std::string data_dir() {
  const char* dir = std::getenv("SLUICE_CPP_TEST_DATA");
  if (dir == nullptr) throw std::runtime_error("SLUICE_CPP_TEST_DATA is not set (run the tests through ctest)");
  return dir;
}
inline std::string data(const std::string& name) { return data_dir() + "/" + name; }

/// Lines of a text file.
inline std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

/// "key=value" lines as read options (make_data.py writes them with the Python binding's encoding).
inline sluice::ReadOptions options_file(const std::string& path) {
  sluice::ReadOptions options;
  for (const std::string& line : lines(path)) {
    auto eq = line.find('=');
    options.set(line.substr(0, eq), line.substr(eq + 1));
  }
  return options;
}

}  // namespace sluice_test

#endif  // SLUICE_TEST_UTIL_HPP
