// Python:
//   import asyncio
//   async def handle(reader, writer):          # one task per client
//       while line := await reader.readline():
//           writer.write(line.upper())
//           await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//   async def client(port, words):
//       reader, writer = await asyncio.open_connection('127.0.0.1', port)
//       for w in words:
//           writer.write(f'{w}\n'.encode())
//           await writer.drain()
//           print('client got', (await reader.readline()).decode().strip())
//       writer.close()
//       await writer.wait_closed()
//   async def main():
//       server = await asyncio.start_server(handle, '127.0.0.1', 0)   # port 0: any free port
//       port = server.sockets[0].getsockname()[1]
//       await client(port, ['hello', 'coroutines'])
//       server.close()
//       await server.wait_closed()
//       print('server closed')
//   asyncio.run(main())
#include <cctype>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;

aio::Task<void> handle(aio::StreamReader reader, aio::StreamWriter writer) {  // one task per client
  for (;;) {
    std::string line = co_await reader.readline();
    if (line.empty()) break;  // the client closed its end
    for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    writer.write(line);
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
}

aio::Task<void> client(int port, std::vector<std::string> words) {
  auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port);
  for (const auto& w : words) {
    writer.write(w + "\n");
    co_await writer.drain();
    std::string answer = co_await reader.readline();
    std::cout << "client got " << answer.substr(0, answer.size() - 1) << '\n';
  }
  writer.close();
  co_await writer.wait_closed();
}

aio::Task<void> main_task() {
  aio::ClientConnected on_client = handle;  // named first: see "What goes wrong"
  aio::Server server = co_await aio::start_server(std::move(on_client), "127.0.0.1", 0);  // 0: any free port
  const std::vector<std::string> words = {"hello", "coroutines"};
  co_await client(server.port(), words);
  server.close();
  co_await server.wait_closed();
  std::cout << "server closed\n";
}

int main() { aio::run(main_task()); }
