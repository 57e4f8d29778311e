// Python:
//   import time
//   from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
//   UNIT = 0.1
//   def consulta_dados(id):                  # query the data: waits one unit
//       time.sleep(UNIT)
//       return [id, id * 10, id * 100]
//   def processa_dados(dados):               # process it: waits one unit, transforms
//       time.sleep(UNIT)
//       return sum(dados)
//   def grava_log(msg):                      # write a log line: fast
//       return 'log: ' + msg
//   def run(executor, with_logs):
//       start = time.monotonic()
//       with executor as ex:
//           consultas = [ex.submit(consulta_dados, i) for i in (1, 2, 3)]
//           logs = [ex.submit(grava_log, 'consultas enviadas')] if with_logs else []
//           processos = [ex.submit(processa_dados, c.result()) for c in consultas]
//           logs += [ex.submit(grava_log, 'processos enviados')] if with_logs else []
//           resultados = [p.result() for p in processos]
//       units = round((time.monotonic() - start) / UNIT)
//       print(f'{type(executor).__name__}, {"with" if with_logs else "without"} logs: {resultados}, '
//             f'{units} units, {len(logs)} log lines')
//   if __name__ == '__main__':
//       for with_logs in (False, True):
//           run(ProcessPoolExecutor(4), with_logs)
//       for with_logs in (False, True):
//           run(ThreadPoolExecutor(4), with_logs)
#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <mp/executor.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;

std::vector<int> consulta_dados(int id) {  // query the data: waits one unit
  std::this_thread::sleep_for(unit);
  return {id, id * 10, id * 100};
}
int processa_dados(std::vector<int> dados) {  // process it: waits one unit, transforms
  std::this_thread::sleep_for(unit);
  return std::accumulate(dados.begin(), dados.end(), 0);
}
std::string grava_log(std::string msg) { return "log: " + msg; }  // write a log line: fast

template <class Executor>
void run(const std::string& name, bool with_logs) {
  Executor ex(4);
  const auto start = Clock::now();
  std::vector<mp::Future<std::vector<int>>> consultas;
  for (int i : {1, 2, 3}) consultas.push_back(ex.submit(consulta_dados, i));
  std::vector<mp::Future<std::string>> logs;
  if (with_logs) logs.push_back(ex.submit(grava_log, std::string("consultas enviadas")));
  std::vector<mp::Future<int>> processos;
  for (auto& c : consultas) processos.push_back(ex.submit(processa_dados, c.result()));
  if (with_logs) logs.push_back(ex.submit(grava_log, std::string("processos enviados")));
  std::cout << name << ", " << (with_logs ? "with" : "without") << " logs: [";
  for (std::size_t i = 0; i < processos.size(); ++i) std::cout << (i ? ", " : "") << processos[i].result();
  ex.shutdown();  // as leaving Python's `with` block: waits for every task
  std::cout << "], " << std::lround((Clock::now() - start) / unit) << " units, " << logs.size()
            << " log lines\n";
}

int main() {
  for (bool with_logs : {false, true}) run<mp::ProcessPoolExecutor>("ProcessPoolExecutor", with_logs);
  for (bool with_logs : {false, true}) run<mp::ThreadPoolExecutor>("ThreadPoolExecutor", with_logs);
}
