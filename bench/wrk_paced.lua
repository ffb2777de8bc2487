-- Paces each connection: wait `delay_ms` before every request, so the offered load
-- is about connections / (delay + latency) and stays below the server's capacity.
-- Latency is measured from sending, so the pause itself is not counted.
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
delay = function()
  return delay_ms
end
