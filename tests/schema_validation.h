// The argv that checks JSON documents against one of reports/schema/ with Debian's
// python3-jsonschema (Draft 2020-12): it prints "file [path] message" per error and exits 1 if
// any document is invalid. Shared by the unit and integration tests that validate what wedge
// writes.
//
//   auto argv = test::schema_validation_argv(schema_dir / "report.schema.json");
//   argv.push_back(report_path);  auto out = run_command(argv, 60s);
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wedge::test {

inline std::vector<std::string> schema_validation_argv(const std::filesystem::path& schema) {
  return {"/usr/bin/python3", "-c",
          "import json,sys,jsonschema\n"
          "schema=json.load(open(sys.argv[1]))\n"
          "jsonschema.Draft202012Validator.check_schema(schema)\n"
          "v=jsonschema.Draft202012Validator(schema)\n"
          "bad=0\n"
          "for f in sys.argv[2:]:\n"
          "  for e in v.iter_errors(json.load(open(f))):\n"
          "    print(f, list(e.path), e.message); bad+=1\n"
          "sys.exit(1 if bad else 0)\n",
          schema.string()};
}

}  // namespace wedge::test
