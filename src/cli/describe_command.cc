#include <iostream>

#include "cli/commands.h"
#include "server/codecs/json_tensor_codec.h"
#include "serving/model_loader.h"

namespace mlserving::cli {

void AddDescribeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("describe", "print the model's signature as GET /describe returns it");
  auto path = std::make_shared<std::string>();
  cmd->add_option("model", *path, "model file or directory")->required();
  cmd->callback([path, exit_code] {
    Result<serving::LoadedModel> model = serving::LoadModel(*path);
    if (!model.ok()) {
      std::cerr << "error: " << model.status().message() << "\n";
      *exit_code = 1;
      return;
    }
    std::cout << codecs::EncodeDescribe(model->evaluator->Describe()) << "\n";
  });
}

}  // namespace mlserving::cli
