// Python:
//   import asyncio, time
//   UNIT = 0.05
//   async def consulta_dados():                # query the data: waits one unit
//       print('consultando dados...')
//       await asyncio.sleep(UNIT)
//       print('dados consultados')
//       return [1, 2, 3]
//   async def processa_dados(dados):           # process them: waits one unit
//       print('processando dados...')
//       await asyncio.sleep(UNIT)
//       print('dados processados:', sum(dados))
//   async def grava_log():                     # write the log: waits one unit
//       print('gravando log...')
//       await asyncio.sleep(UNIT)
//       print('log gravado')
//   async def one_after_the_other():
//       dados = await consulta_dados()
//       await processa_dados(dados)
//       await grava_log()
//   async def with_a_task():
//       log = asyncio.create_task(grava_log())  # starts at the next await, runs meanwhile
//       dados = await consulta_dados()
//       await processa_dados(dados)
//       await log
//   for name, fn in (('one after the other', one_after_the_other), ('with create_task', with_a_task)):
//       start = time.monotonic()
//       print(f'--- {name}')
//       asyncio.run(fn())
//       print(f'--- {name}: {round((time.monotonic() - start) / UNIT)} units')
#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 50ms;

aio::Task<std::vector<int>> consulta_dados() {  // query the data: waits one unit
  std::cout << "consultando dados...\n";
  co_await aio::sleep(unit);
  std::cout << "dados consultados\n";
  co_return std::vector<int>{1, 2, 3};
}
aio::Task<void> processa_dados(std::vector<int> dados) {  // process them: waits one unit
  std::cout << "processando dados...\n";
  co_await aio::sleep(unit);
  std::cout << "dados processados: " << std::accumulate(dados.begin(), dados.end(), 0) << '\n';
}
aio::Task<void> grava_log() {  // write the log: waits one unit
  std::cout << "gravando log...\n";
  co_await aio::sleep(unit);
  std::cout << "log gravado\n";
}

aio::Task<void> one_after_the_other() {
  std::vector<int> dados = co_await consulta_dados();
  co_await processa_dados(dados);
  co_await grava_log();
}

aio::Task<void> with_a_task() {
  aio::Future<void> log = aio::create_task(grava_log());  // starts at the next await, runs meanwhile
  std::vector<int> dados = co_await consulta_dados();
  co_await processa_dados(dados);
  co_await log;
}

int main() {
  for (const auto& [name, fn] : {std::pair{"one after the other", &one_after_the_other},
                                 std::pair{"with create_task", &with_a_task}}) {
    const auto start = Clock::now();
    std::cout << "--- " << name << '\n';
    aio::run(fn());
    std::cout << "--- " << name << ": " << std::lround((Clock::now() - start) / unit) << " units\n";
  }
}
