namespace ChatKit.Internal;

/// <summary>
/// The Lua scripts. Each touches the keys of one hash tag only (declared in KEYS), so each runs atomically on one
/// Redis Cluster slot. StackExchange.Redis sends them with EVALSHA once loaded.
/// </summary>
/// <remarks>
/// A fan-out job is one element of a channel's job list: <c>jseq|recipient,recipient,...|entry</c>, where
/// <c>jseq</c> numbers the channel's jobs 1, 2, 3, … and <c>entry</c> is the stored inbox entry
/// (<see cref="EntryCodec"/>). Workers apply a prefix of the list in order and remember, per user and channel, the
/// last <c>jseq</c> applied, so a job redone by another worker never lands twice in one inbox.
/// </remarks>
internal static class Scripts
{
    // Shared tail of every script that enqueues jobs: mark the channel pending on its slot, then try to become the
    // channel's fan-out worker. Expects the locals kq, kl, kp, now, channel, token, ttl, batch, result, firstj, lastj,
    // and solo (the job when the queue holds only it, so that it need not be read back; else false).
    // Returns {0, result, firstJseq, lastJseq, owned (1/0), jobs... (when owned)}.
    private const string EnqueueTail = """
        redis.call('ZADD', kp, 'NX', now, channel)
        local owned = 0
        if redis.call('SET', kl, token, 'NX', 'PX', ttl) then owned = 1 end
        local out = {0, result, firstj, lastj, owned}
        if owned == 1 then
          if solo then
            out[6] = solo
          else
            local jobs = redis.call('LRANGE', kq, 0, batch - 1)
            for _, job in ipairs(jobs) do out[#out + 1] = job end
          end
        end
        return out
        """;

    /// <summary>
    /// Commits a message. KEYS: meta, members, history, own, dedupe, jobs, lock, slot-pending.
    /// ARGV: from, skipMembership, directLow, directHigh, sentAtMs, jsonPrefix, jsonSuffix, dedupeTtlMs, channel,
    /// lockToken, lockTtlMs, batch, messageId.
    /// Returns {1, json|false, 'seq|id'} duplicate, {2} no channel, {3} not a member, or {0, json, jseq, jseq, owned, jobs...}.
    /// </summary>
    public const string Commit = """
        local km, kmem, kh, ko, kd, kq, kl, kp = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
        local from = ARGV[1]
        local now, channel, token, ttl, batch = ARGV[5], ARGV[9], ARGV[10], ARGV[11], tonumber(ARGV[12])
        local dup = redis.call('GET', kd)
        if dup then
          local seq = string.sub(dup, 1, string.find(dup, '|', 1, true) - 1)
          local m = redis.call('ZRANGEBYSCORE', kh, seq, seq)
          return {1, m[1] or false, dup}
        end
        local meta = redis.call('HMGET', km, 's', 'j')
        local s, lastj = tonumber(meta[1]), tonumber(meta[2]) or 0
        if not s then
          if ARGV[3] == '' then return {2} end
          if ARGV[4] ~= ARGV[3] then
            redis.call('HSET', km, 'k', 'd', 'ca', now, 'la', now, 's', 0, 'j', 0, 'mj', 2)
            redis.call('ZADD', kmem, 1, ARGV[3], 2, ARGV[4])
          else
            redis.call('HSET', km, 'k', 'd', 'ca', now, 'la', now, 's', 0, 'j', 0, 'mj', 1)
            redis.call('ZADD', kmem, 1, ARGV[3])
          end
          s, lastj = 0, 0
        end
        if ARGV[2] ~= '1' and not redis.call('ZSCORE', kmem, from) then return {3} end
        s, lastj = s + 1, lastj + 1
        redis.call('HSET', km, 's', s, 'j', lastj, 'la', now)
        local json = ARGV[6] .. s .. ARGV[7]
        redis.call('ZADD', kh, s, json)
        redis.call('ZADD', ko, 0, from .. ':' .. string.format('%016d', s))
        redis.call('SET', kd, s .. '|' .. ARGV[13], 'PX', ARGV[8])
        local members = redis.call('ZRANGE', kmem, 0, -1)
        local job = lastj .. '|' .. table.concat(members, ',') .. '|' .. now .. '|m|' .. json
        local solo = redis.call('RPUSH', kq, job) == 1 and job
        local result, firstj = json, lastj
        """ + "\n" + EnqueueTail;

    /// <summary>
    /// Creates a group and one job per initial member (a <c>member</c> entry about that member, to that member).
    /// KEYS: meta, members, jobs, lock, slot-pending. ARGV: name, owner, createdAtMs, channel, lockToken, lockTtlMs,
    /// batch, member... Returns as the other enqueuing scripts; an existing channel is an error.
    /// </summary>
    public const string CreateGroup = """
        local km, kmem, kq, kl, kp = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
        local now, channel, token, ttl, batch = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
        if redis.call('EXISTS', km) == 1 then return redis.error_reply('ERR channel exists') end
        local n = #ARGV - 7
        redis.call('HSET', km, 'k', 'g', 'n', ARGV[1], 'o', ARGV[2], 'ca', now, 'la', now, 's', 0, 'j', n, 'mj', n)
        local lastj = 0
        for i = 1, n do
          local u = ARGV[7 + i]
          redis.call('ZADD', kmem, i, u)
          lastj = i
          redis.call('RPUSH', kq, i .. '|' .. u .. '|' .. now .. '|a|' .. channel .. '|' .. u .. '|' .. ARGV[2])
        end
        local result, firstj, solo = '', 1, false
        """ + "\n" + EnqueueTail;

    /// <summary>
    /// Adds or removes group members. KEYS: meta, members, jobs, lock, slot-pending. ARGV: actor, add (1/0),
    /// maxMembers, atMs, channel, lockToken, lockTtlMs, batch, user... Returns {2} no group, {3} actor not a member,
    /// {5} forbidden, {6} unchanged, {4} too many, or {0, '', firstJseq, lastJseq, owned, jobs...}.
    /// </summary>
    public const string ChangeMembers = """
        local km, kmem, kq, kl, kp = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
        local actor, add, max = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3])
        local now, channel, token, ttl, batch = ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
        if redis.call('HGET', km, 'k') ~= 'g' then return {2} end
        if not redis.call('ZSCORE', kmem, actor) then return {3} end
        local owner = redis.call('HGET', km, 'o')
        local n = #ARGV - 8
        local alone = (not add) and n == 1 and ARGV[9] == actor
        if owner ~= actor and not alone then return {5} end
        local changed = {}
        for i = 1, n do
          local u = ARGV[8 + i]
          local isIn = redis.call('ZSCORE', kmem, u) ~= false
          if isIn ~= add then changed[#changed + 1] = u end
        end
        if #changed == 0 then return {6} end
        if add and redis.call('ZCARD', kmem) + #changed > max then return {4} end
        for _, u in ipairs(changed) do
          if add then
            redis.call('ZADD', kmem, redis.call('HINCRBY', km, 'mj', 1), u)
          else
            redis.call('ZREM', kmem, u)
          end
        end
        if (not add) and not redis.call('ZSCORE', kmem, owner) then
          local first = redis.call('ZRANGE', kmem, 0, 0)
          if #first > 0 then redis.call('HSET', km, 'o', first[1]) end
        end
        local recipients = redis.call('ZRANGE', kmem, 0, -1)
        if not add then
          for _, u in ipairs(changed) do recipients[#recipients + 1] = u end
        end
        local r = table.concat(recipients, ',')
        local lastj = 0
        local result, firstj = '', tonumber(redis.call('HGET', km, 'j')) + 1
        for _, u in ipairs(changed) do
          lastj = redis.call('HINCRBY', km, 'j', 1)
          redis.call('RPUSH', kq, lastj .. '|' .. r .. '|' .. now .. '|' .. (add and 'a' or 'x') .. '|' .. channel .. '|' .. u .. '|' .. actor)
        end
        local solo = false
        """ + "\n" + EnqueueTail;

    /// <summary>
    /// Moves a read mark forward and enqueues the <c>read</c> entry for the reader. KEYS: meta, members, read marks,
    /// jobs, lock, slot-pending. ARGV: user, upTo, atMs, channel, lockToken, lockTtlMs, batch.
    /// Returns {2} no channel, {3} not a member, {7} past the end, {6} unchanged, or {0, '', jseq, jseq, owned, jobs...}.
    /// </summary>
    public const string MarkRead = """
        local km, kmem, kr, kq, kl, kp = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
        local user, upTo = ARGV[1], tonumber(ARGV[2])
        local now, channel, token, ttl, batch = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
        if redis.call('EXISTS', km) == 0 then return {2} end
        if not redis.call('ZSCORE', kmem, user) then return {3} end
        if upTo > tonumber(redis.call('HGET', km, 's')) then return {7} end
        if upTo <= tonumber(redis.call('HGET', kr, user) or '0') then return {6} end
        redis.call('HSET', kr, user, ARGV[2])
        local lastj = redis.call('HINCRBY', km, 'j', 1)
        local job = lastj .. '|' .. user .. '|' .. now .. '|r|' .. channel .. '|' .. ARGV[2]
        local solo = redis.call('RPUSH', kq, job) == 1 and job
        local result, firstj = '', lastj
        """ + "\n" + EnqueueTail;

    /// <summary>
    /// Takes a channel's job queue. KEYS: jobs, lock, slot-pending. ARGV: lockToken, lockTtlMs, batch, channel.
    /// Returns {0} nothing to do, {2, holder} another worker owns it, or {1, jobs...}.
    /// </summary>
    public const string Take = """
        local kq, kl, kp = KEYS[1], KEYS[2], KEYS[3]
        local cur = redis.call('GET', kl)
        if redis.call('LLEN', kq) == 0 then
          if not cur then redis.call('ZREM', kp, ARGV[4]) end
          return {0}
        end
        if cur == ARGV[1] then
          redis.call('PEXPIRE', kl, ARGV[2])
        elseif cur then
          return {2, cur}
        else
          redis.call('SET', kl, ARGV[1], 'PX', ARGV[2])
        end
        local jobs = redis.call('LRANGE', kq, 0, tonumber(ARGV[3]) - 1)
        table.insert(jobs, 1, 1)
        return jobs
        """;

    /// <summary>
    /// Acknowledges jobs up to a <c>jseq</c> (idempotent: another worker may have done it) and hands out the next
    /// batch, or releases the queue. KEYS: jobs, lock, slot-pending. ARGV: maxJseq, lockToken, lockTtlMs, batch,
    /// channel, applied (how many jobs the worker applied: the acknowledged ones are among the first that many).
    /// Returns {0} released, {2} the lock was lost (another worker continues), or {1, jobs...}.
    /// </summary>
    public const string Ack = """
        local kq, kl, kp = KEYS[1], KEYS[2], KEYS[3]
        local maxj, batch = tonumber(ARGV[1]), tonumber(ARGV[4])
        local head = redis.call('LRANGE', kq, 0, tonumber(ARGV[6]) + batch - 1)
        local done = 0
        while done < #head do
          local job = head[done + 1]
          if tonumber(string.sub(job, 1, string.find(job, '|', 1, true) - 1)) > maxj then break end
          done = done + 1
        end
        if done > 0 then redis.call('LTRIM', kq, done, -1) end
        if redis.call('GET', kl) ~= ARGV[2] then return {2} end
        if done < #head then
          redis.call('PEXPIRE', kl, ARGV[3])
          local jobs = {1}
          for k = done + 1, math.min(#head, done + batch) do jobs[#jobs + 1] = head[k] end
          return jobs
        end
        redis.call('DEL', kl)
        redis.call('ZREM', kp, ARGV[5])
        return {0}
        """;

    /// <summary>
    /// Appends entries to one inbox, each at most once per (channel, jseq), and returns the seqs given (0 for an
    /// entry already applied) and the node instances holding the user's sessions, read atomically with the append so
    /// that live routing misses no session. KEYS: user, inbox, applied, channels, sessions.
    /// ARGV: retentionCount, minCreatedAtMs (-1: no age limit), then quads of channel, jseq, effect, entry. The
    /// effect on the user's channel list: <c>+</c> add, <c>-</c> remove, <c>*</c> add unless the inbox already had
    /// an entry of the channel (a message: its channel is listed since the first entry, or the member was added,
    /// which listed it), empty: none.
    /// </summary>
    public const string Append = """
        local ku, ki, ka, kc, ks = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
        local keep, minAt = tonumber(ARGV[1]), tonumber(ARGV[2])
        local head = tonumber(redis.call('HGET', ku, 'h') or '0')
        local seqs = {}
        local len = -1
        local i = 3
        while i <= #ARGV do
          local ch, j, eff, e = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
          local prev = tonumber(redis.call('HGET', ka, ch) or '0')
          if j > prev then
            redis.call('HSET', ka, ch, j)
            head = head + 1
            len = redis.call('RPUSH', ki, e)
            seqs[#seqs + 1] = head
            if eff == '+' or (eff == '*' and prev == 0) then
              redis.call('SADD', kc, ch)
            elseif eff == '-' then
              redis.call('SREM', kc, ch)
            end
          else
            seqs[#seqs + 1] = 0
          end
          i = i + 4
        end
        if len >= 0 then
          redis.call('HSET', ku, 'h', head)
          if len > keep then
            redis.call('LTRIM', ki, len - keep, -1)
            len = keep
          end
          if minAt >= 0 then
            while len > 1 do
              local first = redis.call('LINDEX', ki, 0)
              if tonumber(string.sub(first, 1, string.find(first, '|', 1, true) - 1)) >= minAt then break end
              redis.call('LPOP', ki)
              len = len - 1
            end
          end
        end
        return {seqs, redis.call('HVALS', ks)}
        """;

    /// <summary>Reads an inbox page. KEYS: user, inbox. ARGV: after, limit. Returns {head, firstSeq, fromSeq, entries...}.</summary>
    public const string ReadInbox = """
        local head = tonumber(redis.call('HGET', KEYS[1], 'h') or '0')
        local len = redis.call('LLEN', KEYS[2])
        local first = head - len + 1
        local after, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
        if limit == 0 or after >= head then return {head, first, 0} end
        local from = math.max(after + 1, first)
        local off = from - first
        local page = redis.call('LRANGE', KEYS[2], off, off + limit - 1)
        table.insert(page, 1, from)
        table.insert(page, 1, first)
        table.insert(page, 1, head)
        return page
        """;

    /// <summary>Reads a channel. KEYS: meta, members. Returns {} or {metaFlat, members}.</summary>
    public const string GetChannel = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
        return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1)}
        """;

    /// <summary>
    /// A row of a user's channel list. KEYS: meta, members, history, own, read marks. ARGV: user.
    /// Returns {} or {metaFlat, members, readSeq, unread, lastMessage|false}.
    /// </summary>
    public const string Summary = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
        local user = ARGV[1]
        local read = tonumber(redis.call('HGET', KEYS[5], user) or '0')
        local total = redis.call('ZCOUNT', KEYS[3], '(' .. read, '+inf')
        local own = redis.call('ZLEXCOUNT', KEYS[4], '(' .. user .. ':' .. string.format('%016d', read), '[' .. user .. ':~')
        local last = redis.call('ZREVRANGE', KEYS[3], 0, 0)
        return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1), read, total - own, last[1] or false}
        """;

    /// <summary>Deletes one message from history. KEYS: history, own. ARGV: channelSeq. Returns 1 when deleted.</summary>
    public const string DeleteMessage = """
        local m = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
        if #m == 0 then return 0 end
        local from = cjson.decode(m[1])['from']
        redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
        redis.call('ZREM', KEYS[2], from .. ':' .. string.format('%016d', tonumber(ARGV[1])))
        return 1
        """;

    // ---- presence (user slot)

    /// <summary>KEYS: sessions, user. ARGV: session, instance, atMs. Returns 1 when this is the user's first session.</summary>
    public const string AddSession = """
        local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[2], 'la') or '0') then redis.call('HSET', KEYS[2], 'la', ARGV[3]) end
        if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then return 1 end
        return 0
        """;

    /// <summary>KEYS: sessions, user. ARGV: session, atMs. Returns 1 when this was the user's last session.</summary>
    public const string RemoveSession = """
        local removed = redis.call('HDEL', KEYS[1], ARGV[1])
        if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[2], 'la') or '0') then redis.call('HSET', KEYS[2], 'la', ARGV[2]) end
        if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
        return 0
        """;

    /// <summary>KEYS: user. ARGV: atMs. Moves lastActiveAt forward.</summary>
    public const string Touch = """
        if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'la') or '0') then redis.call('HSET', KEYS[1], 'la', ARGV[1]) end
        return 0
        """;

    /// <summary>KEYS: sessions, user. Returns {sessionCount, lastActiveAtMs|false}.</summary>
    public const string GetPresence = """
        return {redis.call('HLEN', KEYS[1]), redis.call('HGET', KEYS[2], 'la')}
        """;

    /// <summary>
    /// Removes every session of a dead node instance from one user. KEYS: sessions, user. ARGV: instance.
    /// Returns {wentOffline (1/0), lastActiveAtMs|false}.
    /// </summary>
    public const string ReapSessions = """
        local all = redis.call('HGETALL', KEYS[1])
        local removed = 0
        for i = 1, #all, 2 do
          if all[i + 1] == ARGV[1] then
            redis.call('HDEL', KEYS[1], all[i])
            removed = removed + 1
          end
        end
        local offline = 0
        if removed > 0 and redis.call('HLEN', KEYS[1]) == 0 then offline = 1 end
        return {offline, redis.call('HGET', KEYS[2], 'la')}
        """;

    // ---- push tokens (user slot)

    /// <summary>KEYS: tokens, user. ARGV: field (device and provider), token, maxPerUser. Keeps the newest maxPerUser.</summary>
    public const string RegisterToken = """
        local n = redis.call('HINCRBY', KEYS[2], 'tc', 1)
        redis.call('HSET', KEYS[1], ARGV[1], n .. '|' .. ARGV[2])
        if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) then
          local all = redis.call('HGETALL', KEYS[1])
          local minf, minn = nil, nil
          for i = 1, #all, 2 do
            local c = tonumber(string.sub(all[i + 1], 1, string.find(all[i + 1], '|', 1, true) - 1))
            if not minn or c < minn then minf, minn = all[i], c end
          end
          redis.call('HDEL', KEYS[1], minf)
        end
        return 0
        """;

    /// <summary>KEYS: tokens. ARGV: field, token. Returns 1 when removed.</summary>
    public const string UnregisterToken = """
        local v = redis.call('HGET', KEYS[1], ARGV[1])
        if not v then return 0 end
        if string.sub(v, string.find(v, '|', 1, true) + 1) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        return 1
        """;

    // ---- node registry and leases ({nodes} slot). Discovery ages beats by the nodes' clocks, as INodeRegistry
    // says; instance liveness and leases use the Redis server's clock, so node clocks do not matter there.

    /// <summary>KEYS: info, beats. ARGV: nodeId, encoded info, beat time (ms).</summary>
    public const string NodeBeat = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        return 0
        """;

    /// <summary>KEYS: info, beats. ARGV: oldest beat time that counts (ms). Returns {0, id, beatMs, info, id, beatMs, info, ...}.</summary>
    public const string LiveNodes = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], '+inf', 'WITHSCORES')
        local out = {0}
        for i = 1, #ids, 2 do
          local info = redis.call('HGET', KEYS[1], ids[i])
          if info then
            out[#out + 1] = ids[i]
            out[#out + 1] = ids[i + 1]
            out[#out + 1] = info
          end
        end
        return out
        """;

    /// <summary>
    /// A node instance's liveness beat. KEYS: instances. ARGV: instance, score override (-1: now; 0: mark dead at
    /// once on clean stop). Returns {wasNew (1/0), nowMs}.
    /// </summary>
    public const string InstanceBeat = """
        local t = redis.call('TIME')
        local ms = t[1] * 1000 + math.floor(t[2] / 1000)
        local score = ms
        if ARGV[2] ~= '-1' then score = tonumber(ARGV[2]) end
        local added = redis.call('ZADD', KEYS[1], score, ARGV[1])
        return {added, ms}
        """;

    /// <summary>KEYS: instances. ARGV: timeoutMs. Returns the instances whose last beat is older.</summary>
    public const string DeadInstances = """
        local t = redis.call('TIME')
        local ms = t[1] * 1000 + math.floor(t[2] / 1000)
        return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms - tonumber(ARGV[1]))
        """;

    /// <summary>
    /// Leases a Snowflake worker id: the free one (never leased, or expired) least recently used, so that the ids it
    /// was used for are the furthest in the past. KEYS: leases, last-used. ARGV: instance, ttlMs, maxWorkerId.
    /// Returns {workerId, lastUsedMs} or {-1}.
    /// </summary>
    public const string AcquireWorker = """
        local t = redis.call('TIME')
        local ms = t[1] * 1000 + math.floor(t[2] / 1000)
        local best, bestLast = -1, nil
        for w = 0, tonumber(ARGV[3]) do
          local v = redis.call('HGET', KEYS[1], w)
          local free = true
          if v then
            local bar = string.find(v, '|', 1, true)
            if tonumber(string.sub(v, bar + 1)) > ms then free = false end
          end
          if free then
            local last = tonumber(redis.call('HGET', KEYS[2], w) or '0')
            if not bestLast or last < bestLast then best, bestLast = w, last end
            if last == 0 then break end
          end
        end
        if best < 0 then return {-1} end
        redis.call('HSET', KEYS[1], best, ARGV[1] .. '|' .. (ms + tonumber(ARGV[2])))
        redis.call('HSET', KEYS[2], best, ms + tonumber(ARGV[2]))
        return {best, bestLast}
        """;

    /// <summary>KEYS: leases, last-used. ARGV: instance, workerId, ttlMs. Returns 1 when renewed, 0 when the lease was lost.</summary>
    public const string RenewWorker = """
        local t = redis.call('TIME')
        local ms = t[1] * 1000 + math.floor(t[2] / 1000)
        local v = redis.call('HGET', KEYS[1], ARGV[2])
        if not v then return 0 end
        local bar = string.find(v, '|', 1, true)
        if string.sub(v, 1, bar - 1) ~= ARGV[1] or tonumber(string.sub(v, bar + 1)) <= ms then return 0 end
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. '|' .. (ms + tonumber(ARGV[3])))
        redis.call('HSET', KEYS[2], ARGV[2], ms + tonumber(ARGV[3]))
        return 1
        """;

    /// <summary>KEYS: leases. ARGV: instance, workerId. Releases the lease on clean stop.</summary>
    public const string ReleaseWorker = """
        local v = redis.call('HGET', KEYS[1], ARGV[2])
        if v and string.sub(v, 1, string.find(v, '|', 1, true) - 1) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
        return 0
        """;
}
