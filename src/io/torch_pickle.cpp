// torch.save reader: zip container, legacy stream format, restricted unpickler (no code execution).
#include "stickgen/torch_pickle.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>

namespace stickgen {

// ------------------------------------------------------------------ small helpers

int64_t TorchTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

TensorView TorchTensor::view(std::string name) const {
  TensorView v;
  v.name = std::move(name);
  v.dtype = dtype;
  v.shape = shape;
  v.data = reinterpret_cast<const uint8_t*>(data.data());
  v.nbytes = data.size();
  return v;
}

std::string_view py_kind_name(PyValue::Kind kind) {
  switch (kind) {
    case PyValue::Kind::none: return "None";
    case PyValue::Kind::boolean: return "bool";
    case PyValue::Kind::integer: return "int";
    case PyValue::Kind::big_integer: return "int";
    case PyValue::Kind::floating: return "float";
    case PyValue::Kind::string: return "str";
    case PyValue::Kind::bytes: return "bytes";
    case PyValue::Kind::list: return "list";
    case PyValue::Kind::tuple: return "tuple";
    case PyValue::Kind::dict: return "dict";
    case PyValue::Kind::tensor: return "tensor";
  }
  return "?";
}

const PyValue* PyValue::get(std::string_view key) const {
  if (kind != Kind::dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::string && k->text == key) return v;
  return nullptr;
}

std::string PyValue::describe() const {
  auto shape_str = [](const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  };
  switch (kind) {
    case Kind::none: return "None";
    case Kind::boolean: return boolean ? "True" : "False";
    case Kind::integer: return "int " + std::to_string(integer);
    case Kind::big_integer: return "int (" + std::to_string(text.size()) + " bytes)";
    case Kind::floating: return "float " + std::to_string(floating);
    case Kind::string: return "str '" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "'";
    case Kind::bytes: return "bytes (" + std::to_string(text.size()) + ")";
    case Kind::list: return "list (" + std::to_string(items.size()) + " items)";
    case Kind::tuple: return "tuple (" + std::to_string(items.size()) + " items)";
    case Kind::dict: return "dict (" + std::to_string(entries.size()) + " entries)";
    case Kind::tensor:  // not yet materialised while the pickle is still being read
      if (!tensor) return "tensor";
      return "tensor " + std::string(dtype_name(tensor->dtype)) + " " + shape_str(tensor->shape);
  }
  return "?";
}

namespace {

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) | uint64_t(rd32(p + 4)) << 32; }

size_t element_size(DType d) {
  switch (d) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 1;
}

std::optional<DType> storage_dtype(std::string_view name) {
  static const std::pair<std::string_view, DType> table[] = {
      {"FloatStorage", DType::F32}, {"DoubleStorage", DType::F64}, {"HalfStorage", DType::F16},
      {"BFloat16Storage", DType::BF16}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16}, {"CharStorage", DType::I8}, {"ByteStorage", DType::U8},
      {"BoolStorage", DType::BOOL}};
  for (const auto& [n, d] : table)
    if (n == name) return d;
  return std::nullopt;
}

}  // namespace

// ------------------------------------------------------------------ zip

std::vector<ZipEntry> read_stored_zip(std::string_view bytes, const std::string& origin) {
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  auto fail = [&](const std::string& what) -> Error { return Error(origin + ": zip archive: " + what); };
  if (n < 22) throw fail("too short for an end-of-central-directory record");
  // The end record sits at the end, before a comment of at most 65535 bytes.
  size_t eocd = std::string_view::npos;
  const size_t lowest = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  for (size_t p = n - 22 + 1; p-- > lowest;) {
    if (rd32(base + p) == 0x06054b50u) {
      eocd = p;
      break;
    }
  }
  if (eocd == std::string_view::npos) throw fail("no end-of-central-directory record");
  uint64_t count = rd16(base + eocd + 10);
  uint64_t cd_size = rd32(base + eocd + 12);
  uint64_t cd_offset = rd32(base + eocd + 16);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
    if (eocd < 20 || rd32(base + eocd - 20) != 0x07064b50u) throw fail("zip64 locator missing");
    const uint64_t rec = rd64(base + eocd - 20 + 8);
    if (rec > n || n - rec < 56 || rd32(base + rec) != 0x06064b50u) throw fail("bad zip64 end record");
    count = rd64(base + rec + 32);
    cd_size = rd64(base + rec + 40);
    cd_offset = rd64(base + rec + 48);
  }
  if (cd_offset > n || cd_size > n - cd_offset) throw fail("central directory out of bounds");
  if (count > cd_size / 46) throw fail("entry count " + std::to_string(count) + " does not fit the central directory");

  std::vector<ZipEntry> entries;
  entries.reserve(count);
  size_t p = cd_offset;
  const size_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < 46 || rd32(base + p) != 0x02014b50u) throw fail("bad central directory entry " + std::to_string(i));
    const uint16_t flags = rd16(base + p + 8);
    const uint16_t method = rd16(base + p + 10);
    uint64_t csize = rd32(base + p + 20);
    uint64_t usize = rd32(base + p + 24);
    const size_t name_len = rd16(base + p + 28), extra_len = rd16(base + p + 30), comment_len = rd16(base + p + 32);
    uint64_t local = rd32(base + p + 42);
    if (cd_end - p - 46 < name_len + extra_len + comment_len) throw fail("central directory entry " + std::to_string(i) + " overruns");
    std::string name(bytes.substr(p + 46, name_len));
    // zip64 extended information: only the fields saturated in the fixed record are present.
    const uint8_t* ex = base + p + 46 + name_len;
    for (size_t e = 0; e + 4 <= extra_len;) {
      const uint16_t id = rd16(ex + e), len = rd16(ex + e + 2);
      if (e + 4 + len > extra_len) break;
      if (id == 0x0001) {
        size_t q = e + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          if (q + 8 > e + 4 + len) throw fail("short zip64 field for '" + name + "'");
          field = rd64(ex + q);
          q += 8;
        };
        take(usize);
        take(csize);
        take(local);
      }
      e += 4 + len;
    }
    if (flags & 1) throw fail("entry '" + name + "' is encrypted");
    if (method != 0)
      throw fail("entry '" + name + "' is compressed (method " + std::to_string(method) +
                 "); torch.save writes stored entries");
    if (csize != usize) throw fail("entry '" + name + "' has differing stored sizes");
    if (local > n || n - local < 30 || rd32(base + local) != 0x04034b50u) throw fail("bad local header for '" + name + "'");
    const uint64_t data = local + 30 + rd16(base + local + 26) + rd16(base + local + 28);
    if (data > n || csize > n - data) throw fail("data of '" + name + "' out of bounds");
    entries.push_back({std::move(name), static_cast<size_t>(data), static_cast<size_t>(csize)});
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

// ------------------------------------------------------------------ unpickler

struct TorchArchive::Impl {
  std::string bytes;
  std::string origin;
  bool legacy = false;
  std::deque<PyValue> nodes;
  const PyValue* root = nullptr;
};

namespace {

constexpr size_t kMaxDepth = 1000;

struct StorageRef {
  std::string key;
  DType dtype = DType::F32;
  int64_t numel = 0;   // elements the pickle claims the (root) storage has
  int64_t offset = 0;  // legacy storage views: element offset into the root storage
  int64_t view_numel = -1;
};

struct PendingTensor {
  PyValue* node;
  StorageRef storage;
  int64_t offset;
  std::vector<int64_t> shape, stride;
};

struct Special {
  enum Kind { global_ref, storage_ref } kind;
  std::string name;  // "module.name" for globals
  StorageRef storage;
};

class Unpickler {
 public:
  Unpickler(TorchArchive::Impl& impl, std::string_view stream, size_t base_offset)
      : impl_(impl), in_(stream), base_(base_offset) {}

  // Runs one pickle from `pos`; returns the value and leaves pos() after STOP.
  PyValue* run(size_t pos);
  size_t pos() const { return pos_; }
  std::vector<PendingTensor>& pending() { return pending_; }
  const std::unordered_map<const PyValue*, Special>& specials() const { return specials_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(impl_.origin + ": pickle: " + what + " (at byte " + std::to_string(base_ + op_pos_) + ")");
  }
  const uint8_t* take(size_t count) {
    if (in_.size() - pos_ < count) fail("truncated data");
    const auto* p = reinterpret_cast<const uint8_t*>(in_.data()) + pos_;
    pos_ += count;
    return p;
  }
  std::string take_string(uint64_t count) {
    if (count > in_.size() - pos_) fail("string of " + std::to_string(count) + " bytes overruns the data");
    std::string s(in_.substr(pos_, count));
    pos_ += count;
    return s;
  }
  std::string take_line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos || end - pos_ > 256) fail("bad GLOBAL name");
    std::string s(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  PyValue* make(PyValue::Kind kind) {
    auto& v = impl_.nodes.emplace_back();
    v.kind = kind;
    return &v;
  }
  PyValue* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    PyValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyValue* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<PyValue*> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyValue*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  const Special* special(const PyValue* v) const {
    auto it = specials_.find(v);
    return it == specials_.end() ? nullptr : &it->second;
  }
  PyValue* make_global(std::string module, std::string name);
  void set_item(PyValue* dict, PyValue* key, PyValue* value);
  PyValue* reduce(PyValue* callable, PyValue* args);
  PyValue* persistent_load(PyValue* pid);
  PyValue* rebuild_tensor(const std::vector<const PyValue*>& args, bool v2);
  int64_t as_int(const PyValue* v, const char* what) {
    if (v->kind == PyValue::Kind::integer) return v->integer;
    if (v->kind == PyValue::Kind::boolean) return v->boolean;
    fail(std::string(what) + ": expected an int, got " + v->describe());
  }
  std::vector<int64_t> as_int_tuple(const PyValue* v, const char* what) {
    if (v->kind != PyValue::Kind::tuple && v->kind != PyValue::Kind::list)
      fail(std::string(what) + ": expected a tuple of ints, got " + v->describe());
    std::vector<int64_t> out;
    for (const PyValue* x : v->items) out.push_back(as_int(x, what));
    return out;
  }

  TorchArchive::Impl& impl_;
  std::string_view in_;
  size_t base_;
  size_t pos_ = 0, op_pos_ = 0;
  std::vector<PyValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyValue*> memo_;
  std::unordered_map<const PyValue*, Special> specials_;
  std::unordered_map<const PyValue*, std::unordered_map<std::string, size_t>> dict_index_;
  std::vector<PendingTensor> pending_;
};

PyValue* Unpickler::make_global(std::string module, std::string name) {
  const std::string full = module + "." + name;
  bool allowed = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
                 full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_parameter" ||
                 (module == "torch" && storage_dtype(name));
  if (!allowed) {
    if (module == "torch" && name.size() > 7 && name.ends_with("Storage"))
      fail("unsupported storage type '" + full + "'");
    fail("global '" + full + "' is not allowed (only tensors, OrderedDict and torch storages are read)");
  }
  PyValue* v = make(PyValue::Kind::none);
  specials_[v] = Special{Special::global_ref, full, {}};
  return v;
}

// Canonical key for duplicate detection of hashable scalar keys ("" = not indexed).
std::string key_of(const PyValue* k) {
  switch (k->kind) {
    case PyValue::Kind::string: return "s" + k->text;
    case PyValue::Kind::bytes: return "b" + k->text;
    case PyValue::Kind::integer: return "i" + std::to_string(k->integer);
    case PyValue::Kind::boolean: return "i" + std::to_string(k->boolean ? 1 : 0);  // True == 1 in Python
    case PyValue::Kind::none: return "n";
    default: return "";
  }
}

void Unpickler::set_item(PyValue* dict, PyValue* key, PyValue* value) {
  if (dict->kind != PyValue::Kind::dict) fail("SETITEM on " + dict->describe());
  if (key->kind == PyValue::Kind::list || key->kind == PyValue::Kind::dict) fail("unhashable dict key " + key->describe());
  if (special(key) || special(value)) fail("dict entry holds an unexpected object");
  const std::string k = key_of(key);
  if (!k.empty()) {
    auto& index = dict_index_[dict];
    auto [it, inserted] = index.emplace(k, dict->entries.size());
    if (!inserted) {
      dict->entries[it->second].second = value;
      return;
    }
  }
  dict->entries.emplace_back(key, value);
}

PyValue* Unpickler::persistent_load(PyValue* pid) {
  if (pid->kind != PyValue::Kind::tuple || pid->items.empty() || pid->items[0]->kind != PyValue::Kind::string)
    fail("persistent id: expected a tuple ('storage', ...), got " + pid->describe());
  const auto& it = pid->items;
  if (it[0]->text != "storage") fail("persistent id of type '" + it[0]->text + "' is not supported (saved modules are not read)");
  if (it.size() != 5 && it.size() != 6) fail("persistent id: expected 5 or 6 fields, got " + std::to_string(it.size()));
  const Special* type = special(it[1]);
  if (!type || type->kind != Special::global_ref || !type->name.starts_with("torch.") || !storage_dtype(type->name.substr(6)))
    fail("persistent id: field 1 is not a torch storage type");
  if (it[2]->kind != PyValue::Kind::string) fail("persistent id: storage key is " + it[2]->describe());
  StorageRef ref;
  ref.dtype = *storage_dtype(type->name.substr(6));
  ref.key = it[2]->text;
  ref.numel = as_int(it[4], "storage size");
  if (ref.numel < 0) fail("negative storage size");
  if (it.size() == 6 && it[5]->kind != PyValue::Kind::none) {  // legacy view: (view_key, offset, size)
    const PyValue* view = it[5];
    if (view->kind != PyValue::Kind::tuple || view->items.size() != 3) fail("bad storage view metadata");
    ref.offset = as_int(view->items[1], "storage view offset");
    ref.view_numel = as_int(view->items[2], "storage view size");
    if (ref.offset < 0 || ref.view_numel < 0 || ref.offset > ref.numel || ref.view_numel > ref.numel - ref.offset)
      fail("storage view outside its storage");
  }
  PyValue* v = make(PyValue::Kind::none);
  specials_[v] = Special{Special::storage_ref, type->name, ref};
  return v;
}

PyValue* Unpickler::rebuild_tensor(const std::vector<const PyValue*>& args, bool v2) {
  if (args.size() < 4 || (!v2 && args.size() != 4) || (v2 && args.size() != 6 && args.size() != 7))
    fail("tensor rebuild: unexpected number of arguments (" + std::to_string(args.size()) + ")");
  const Special* storage = special(args[0]);
  if (!storage || storage->kind != Special::storage_ref) fail("tensor rebuild: first argument is not a storage");
  PendingTensor t;
  t.storage = storage->storage;
  t.offset = as_int(args[1], "tensor storage offset");
  t.shape = as_int_tuple(args[2], "tensor size");
  t.stride = as_int_tuple(args[3], "tensor stride");
  if (t.shape.size() != t.stride.size()) fail("tensor size and stride differ in length");
  if (t.shape.size() > 64) fail("tensor has too many dimensions");
  PyValue* v = make(PyValue::Kind::tensor);
  if (v2 && (args[4]->kind == PyValue::Kind::boolean)) v->boolean = args[4]->boolean;  // requires_grad, kept here until materialised
  t.node = v;
  pending_.push_back(std::move(t));
  return v;
}

PyValue* Unpickler::reduce(PyValue* callable, PyValue* args) {
  const Special* g = special(callable);
  if (!g || g->kind != Special::global_ref) fail("REDUCE on something that is not an allowed global");
  if (args->kind != PyValue::Kind::tuple) fail("REDUCE arguments are " + args->describe());
  const auto& a = args->items;
  if (g->name == "collections.OrderedDict") {
    PyValue* d = make(PyValue::Kind::dict);
    if (a.size() > 1) fail("OrderedDict() with " + std::to_string(a.size()) + " arguments");
    if (a.size() == 1) {
      if (a[0]->kind != PyValue::Kind::list && a[0]->kind != PyValue::Kind::tuple) fail("OrderedDict(" + a[0]->describe() + ")");
      for (const PyValue* pair : a[0]->items) {
        if ((pair->kind != PyValue::Kind::tuple && pair->kind != PyValue::Kind::list) || pair->items.size() != 2)
          fail("OrderedDict item is not a pair");
        set_item(d, const_cast<PyValue*>(pair->items[0]), const_cast<PyValue*>(pair->items[1]));
      }
    }
    return d;
  }
  if (g->name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(a, true);
  if (g->name == "torch._utils._rebuild_tensor") return rebuild_tensor(a, false);
  if (g->name == "torch._utils._rebuild_parameter") {
    if (a.size() != 3 || a[0]->kind != PyValue::Kind::tensor) fail("_rebuild_parameter: expected (tensor, requires_grad, hooks)");
    return const_cast<PyValue*>(a[0]);
  }
  fail("'" + g->name + "' cannot be called");
}

PyValue* Unpickler::run(size_t start) {
  pos_ = start;
  stack_.clear();
  marks_.clear();
  memo_.clear();
  auto push = [&](PyValue* v) { stack_.push_back(v); };
  auto memo_put = [&](uint64_t idx) { memo_[idx] = top(); };
  auto memo_get = [&](uint64_t idx) {
    auto it = memo_.find(idx);
    if (it == memo_.end()) fail("memo index " + std::to_string(idx) + " was never stored");
    push(it->second);
  };
  auto make_int = [&](int64_t x) {
    PyValue* v = make(PyValue::Kind::integer);
    v->integer = x;
    push(v);
  };
  auto make_str = [&](PyValue::Kind kind, uint64_t len) {
    PyValue* v = make(kind);
    v->text = take_string(len);
    push(v);
  };
  auto make_tuple = [&](std::vector<PyValue*> items) {
    PyValue* v = make(PyValue::Kind::tuple);
    v->items.assign(items.begin(), items.end());
    push(v);
  };
  auto append = [&](PyValue* list, const std::vector<PyValue*>& items) {
    if (list->kind != PyValue::Kind::list) fail("APPEND to " + list->describe());
    for (PyValue* x : items) {
      if (special(x)) fail("list holds an unexpected object");
      list->items.push_back(x);
    }
  };

  for (;;) {
    op_pos_ = pos_;
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t proto = *take(1);
        if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is not supported");
        break;
      }
      case 0x95: take(8); break;  // FRAME: framing is transparent to us
      case '.': {                 // STOP
        if (stack_.empty()) fail("STOP with an empty stack");
        return stack_.back();
      }
      case '(': marks_.push_back(stack_.size()); break;
      case '0': pop(); break;
      case '1': pop_to_mark(); break;
      case '2': push(top()); break;
      case 'N': push(make(PyValue::Kind::none)); break;
      case 0x88: case 0x89: {
        PyValue* v = make(PyValue::Kind::boolean);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J': make_int(static_cast<int32_t>(rd32(take(4)))); break;
      case 'K': make_int(*take(1)); break;
      case 'M': make_int(rd16(take(2))); break;
      case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement
        const uint64_t n = op == 0x8a ? *take(1) : rd32(take(4));
        if (n > in_.size() - pos_) fail("long integer overruns the data");
        const auto* p = take(static_cast<size_t>(n));
        if (n <= 8) {
          uint64_t x = 0;
          for (uint64_t i = 0; i < n; ++i) x |= uint64_t(p[i]) << (8 * i);
          if (n > 0 && n < 8 && (p[n - 1] & 0x80)) x |= ~uint64_t(0) << (8 * n);  // sign-extend
          make_int(static_cast<int64_t>(x));
        } else {
          PyValue* v = make(PyValue::Kind::big_integer);
          v->text.assign(reinterpret_cast<const char*>(p), n);
          push(v);
        }
        break;
      }
      case 'G': {  // BINFLOAT, big-endian double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = bits << 8 | p[i];
        PyValue* v = make(PyValue::Kind::floating);
        std::memcpy(&v->floating, &bits, 8);
        push(v);
        break;
      }
      case 'X': make_str(PyValue::Kind::string, rd32(take(4))); break;          // BINUNICODE
      case 0x8c: make_str(PyValue::Kind::string, *take(1)); break;              // SHORT_BINUNICODE
      case 0x8d: make_str(PyValue::Kind::string, rd64(take(8))); break;         // BINUNICODE8
      case 'T': make_str(PyValue::Kind::bytes, rd32(take(4))); break;           // BINSTRING (py2)
      case 'U': make_str(PyValue::Kind::bytes, *take(1)); break;                // SHORT_BINSTRING
      case 'B': make_str(PyValue::Kind::bytes, rd32(take(4))); break;           // BINBYTES
      case 'C': make_str(PyValue::Kind::bytes, *take(1)); break;                // SHORT_BINBYTES
      case 0x8e: make_str(PyValue::Kind::bytes, rd64(take(8))); break;          // BINBYTES8
      case '}': push(make(PyValue::Kind::dict)); break;
      case ']': push(make(PyValue::Kind::list)); break;
      case ')': push(make(PyValue::Kind::tuple)); break;
      case 'd': {  // DICT
        auto items = pop_to_mark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        PyValue* d = make(PyValue::Kind::dict);
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        push(d);
        break;
      }
      case 'l': {  // LIST
        auto items = pop_to_mark();
        PyValue* l = make(PyValue::Kind::list);
        append(l, items);
        push(l);
        break;
      }
      case 't': make_tuple(pop_to_mark()); break;
      case 0x85: { auto a = pop(); make_tuple({a}); break; }
      case 0x86: { auto b = pop(); auto a = pop(); make_tuple({a, b}); break; }
      case 0x87: { auto c = pop(); auto b = pop(); auto a = pop(); make_tuple({a, b, c}); break; }
      case 'a': { auto x = pop(); append(top(), {x}); break; }
      case 'e': { auto items = pop_to_mark(); append(top(), items); break; }
      case 's': {
        auto value = pop();
        auto key = pop();
        set_item(top(), key, value);
        break;
      }
      case 'u': {
        auto items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        PyValue* d = top();
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        break;
      }
      case 'q': memo_put(*take(1)); break;
      case 'r': memo_put(rd32(take(4))); break;
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(*take(1)); break;
      case 'j': memo_get(rd32(take(4))); break;
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = take_line();
        std::string name = take_line();
        push(make_global(std::move(module), std::move(name)));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PyValue* name = pop();
        PyValue* module = pop();
        if (module->kind != PyValue::Kind::string || name->kind != PyValue::Kind::string) fail("STACK_GLOBAL needs two strings");
        push(make_global(module->text, name->text));
        break;
      }
      case 'R': {
        PyValue* args = pop();
        PyValue* callable = pop();
        push(reduce(callable, args));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args); only OrderedDict makes sense here
        PyValue* args = pop();
        PyValue* cls = pop();
        const Special* g = special(cls);
        if (!g || g->name != "collections.OrderedDict" || args->kind != PyValue::Kind::tuple)
          fail("NEWOBJ of something other than OrderedDict");
        push(make(PyValue::Kind::dict));
        break;
      }
      case 'Q': {  // BINPERSID
        PyValue* pid = pop();
        push(persistent_load(pid));
        break;
      }
      case 'b': {  // BUILD: only a dict's attribute state (OrderedDict._metadata) is meaningful
        PyValue* state = pop();
        PyValue* obj = top();
        if (obj->kind == PyValue::Kind::dict && state->kind == PyValue::Kind::dict && !special(obj)) {
          obj->attributes = state;
        } else if (obj->kind == PyValue::Kind::tensor && state->kind == PyValue::Kind::none) {
          // nothing to set
        } else {
          fail("BUILD of " + state->describe() + " on " + (special(obj) ? std::string("a global") : obj->describe()));
        }
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported pickle opcode ") + hex);
      }
    }
  }
}

// Copies a strided view out of its storage into contiguous bytes.
void copy_strided(const uint8_t* src, size_t es, const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                  int64_t offset, std::string& out) {
  const size_t nd = shape.size();
  char* dst = out.data();
  if (nd == 0) {
    std::memcpy(dst, src + offset * es, es);
    return;
  }
  // Innermost run: contiguous when its stride is 1 (or it has a single element).
  const int64_t inner = shape[nd - 1];
  const bool inner_contig = stride[nd - 1] == 1 || inner == 1;
  std::vector<int64_t> idx(nd, 0);
  size_t written = 0;
  const size_t total = out.size() / es;
  while (written < total) {
    int64_t base = offset;
    for (size_t d = 0; d + 1 < nd; ++d) base += idx[d] * stride[d];
    if (inner_contig) {
      std::memcpy(dst + written * es, src + base * es, inner * es);
    } else {
      for (int64_t i = 0; i < inner; ++i) std::memcpy(dst + (written + i) * es, src + (base + i * stride[nd - 1]) * es, es);
    }
    written += inner;
    for (size_t d = nd - 1; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

void materialise(TorchArchive::Impl& impl, std::vector<PendingTensor>& pending,
                 const std::unordered_map<std::string, std::string_view>& storages) {
  const std::string& origin = impl.origin;
  uint64_t budget = 2 * uint64_t(impl.bytes.size()) + (64u << 20);
  std::unordered_map<std::string, DType> dtypes;
  for (auto& t : pending) {
    const std::string where = origin + ": tensor on storage '" + t.storage.key + "'";
    auto found = storages.find(t.storage.key);
    if (found == storages.end()) throw Error(where + ": storage record is missing");
    auto [dt, fresh] = dtypes.emplace(t.storage.key, t.storage.dtype);
    if (!fresh && dt->second != t.storage.dtype) throw Error(where + ": storage used with two element types");
    const size_t es = element_size(t.storage.dtype);
    const uint64_t root_numel = static_cast<uint64_t>(t.storage.numel);
    if (root_numel > found->second.size() / es)
      throw Error(where + ": the pickle claims " + std::to_string(root_numel) + " elements but the record holds " +
                  std::to_string(found->second.size()) + " bytes");
    const int64_t avail = t.storage.view_numel >= 0 ? t.storage.view_numel : t.storage.numel;
    const auto* src = reinterpret_cast<const uint8_t*>(found->second.data()) + t.storage.offset * es;
    // Bounds: every element offset + sum(i_d * stride_d) must lie inside the storage.
    uint64_t numel = 1;
    uint64_t last = 0;
    bool empty = false;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || t.stride[d] < 0) throw Error(where + ": negative size or stride");
      if (t.shape[d] == 0) empty = true;
    }
    if (t.offset < 0) throw Error(where + ": negative storage offset");
    if (!empty) {
      for (size_t d = 0; d < t.shape.size(); ++d) {
        uint64_t reach;
        if (__builtin_mul_overflow(uint64_t(t.shape[d]), numel, &numel) ||
            __builtin_mul_overflow(uint64_t(t.shape[d] - 1), uint64_t(t.stride[d]), &reach) ||
            __builtin_add_overflow(last, reach, &last))
          throw Error(where + ": tensor size overflows");
      }
      if (__builtin_add_overflow(last, uint64_t(t.offset), &last) || last >= uint64_t(avail))
        throw Error(where + ": view reaches past the end of its storage (" + std::to_string(avail) + " elements)");
    } else {
      numel = 0;
    }
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, uint64_t(es), &nbytes) || nbytes > budget)
      throw Error(where + ": materialised tensors exceed the size limit");
    budget -= nbytes;
    auto tensor = std::make_shared<TorchTensor>();
    tensor->dtype = t.storage.dtype;
    tensor->shape = t.shape;
    tensor->requires_grad = t.node->boolean;
    t.node->boolean = false;
    tensor->data.resize(nbytes);
    if (numel > 0) copy_strided(src, es, t.shape, t.stride, t.offset, tensor->data);
    t.node->tensor = std::move(tensor);
  }
}

// Rejects cycles, internal objects left in the result, and nesting deeper than kMaxDepth.
void check_graph(const TorchArchive::Impl& impl, const PyValue* root,
                 const std::unordered_map<const PyValue*, Special>& specials) {
  std::unordered_map<const PyValue*, int> state;  // 1 = on the path, 2 = done
  struct Frame {
    const PyValue* v;
    size_t next;
  };
  std::vector<Frame> path{{root, 0}};
  state[root] = 1;
  auto child = [](const PyValue* v, size_t i) -> const PyValue* {
    if (v->kind == PyValue::Kind::list || v->kind == PyValue::Kind::tuple) return i < v->items.size() ? v->items[i] : nullptr;
    if (v->kind == PyValue::Kind::dict) {
      if (i < 2 * v->entries.size()) return i % 2 ? v->entries[i / 2].second : v->entries[i / 2].first;
      return i == 2 * v->entries.size() ? v->attributes : nullptr;
    }
    return nullptr;
  };
  auto end_of = [](const PyValue* v) -> size_t {
    if (v->kind == PyValue::Kind::dict) return 2 * v->entries.size() + 1;
    return v->items.size();
  };
  while (!path.empty()) {
    Frame& f = path.back();
    if (auto it = specials.find(f.v); it != specials.end())
      throw Error(impl.origin + ": pickle: the result holds a bare " +
                  (it->second.kind == Special::global_ref ? "global '" + it->second.name + "'" : "storage") +
                  " (only tensors and plain containers are supported)");
    if (f.next >= end_of(f.v)) {
      state[f.v] = 2;
      path.pop_back();
      continue;
    }
    const PyValue* c = child(f.v, f.next++);
    if (!c) continue;
    int& s = state[c];
    if (s == 1) throw Error(impl.origin + ": pickle: the object graph contains a cycle");
    if (s == 2) continue;
    if (path.size() >= kMaxDepth) throw Error(impl.origin + ": pickle: nesting deeper than " + std::to_string(kMaxDepth));
    s = 1;
    path.push_back({c, 0});
  }
}

void load_zip(TorchArchive::Impl& impl) {
  const std::string_view bytes = impl.bytes;
  const auto entries = read_stored_zip(bytes, impl.origin);
  const ZipEntry* pkl = nullptr;
  std::string prefix;
  bool torchscript = false;
  for (const auto& e : entries) {
    const size_t slash = e.name.find('/');
    if (slash == std::string::npos) continue;
    const std::string_view rest = std::string_view(e.name).substr(slash + 1);
    if (rest == "data.pkl") {
      if (pkl) throw Error(impl.origin + ": archive holds more than one data.pkl");
      pkl = &e;
      prefix = e.name.substr(0, slash + 1);
    }
    if (rest == "constants.pkl") torchscript = true;
  }
  if (torchscript)
    throw Error(impl.origin + ": a TorchScript archive (torch.jit.save) is not supported; save the state_dict with torch.save");
  if (!pkl) throw Error(impl.origin + ": zip archive has no <name>/data.pkl (not a torch.save file)");
  std::unordered_map<std::string, std::string_view> storages;
  const std::string data_dir = prefix + "data/";
  for (const auto& e : entries) {
    if (e.name.starts_with(data_dir) && e.name.size() > data_dir.size())
      storages.emplace(e.name.substr(data_dir.size()), bytes.substr(e.offset, e.size));
    if (e.name == prefix + "byteorder" && bytes.substr(e.offset, e.size) != "little")
      throw Error(impl.origin + ": byteorder '" + std::string(bytes.substr(e.offset, std::min<size_t>(e.size, 16))) +
                  "' is not supported (expected little)");
  }
  Unpickler up(impl, bytes.substr(pkl->offset, pkl->size), pkl->offset);
  const PyValue* root = up.run(0);
  check_graph(impl, root, up.specials());
  materialise(impl, up.pending(), storages);
  impl.root = root;
}

// Pre-1.6 format: magic, protocol version, sys_info, the data pickle, the sorted storage keys,
// then each storage as an int64 element count followed by its bytes.
void load_legacy(TorchArchive::Impl& impl) {
  impl.legacy = true;
  const std::string_view bytes = impl.bytes;
  Unpickler up(impl, bytes, 0);
  const PyValue* magic = up.run(0);
  static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (magic->kind != PyValue::Kind::big_integer || magic->text != std::string(reinterpret_cast<const char*>(kMagic), 10))
    throw Error(impl.origin + ": not a torch.save file (a pickle without torch's magic number)");
  const PyValue* version = up.run(up.pos());
  if (version->kind != PyValue::Kind::integer || version->integer != 1001)
    throw Error(impl.origin + ": legacy torch.save protocol version " + version->describe() + " is not supported (expected 1001)");
  const PyValue* sys_info = up.run(up.pos());
  if (const PyValue* le = sys_info->get("little_endian"); le && le->kind == PyValue::Kind::boolean && !le->boolean)
    throw Error(impl.origin + ": big-endian legacy torch.save files are not supported");
  const PyValue* root = up.run(up.pos());
  check_graph(impl, root, up.specials());
  auto pending = std::move(up.pending());
  const PyValue* keys = up.run(up.pos());
  if (keys->kind != PyValue::Kind::list) throw Error(impl.origin + ": legacy storage key list is " + keys->describe());
  std::unordered_map<std::string, DType> dtypes;
  for (const auto& t : pending) dtypes.emplace(t.storage.key, t.storage.dtype);
  std::unordered_map<std::string, std::string_view> storages;
  size_t p = up.pos();
  for (const PyValue* k : keys->items) {
    if (k->kind != PyValue::Kind::string) throw Error(impl.origin + ": legacy storage key is " + k->describe());
    auto dt = dtypes.find(k->text);
    if (dt == dtypes.end()) throw Error(impl.origin + ": legacy storage '" + k->text + "' is not used by any tensor");
    if (bytes.size() - p < 8) throw Error(impl.origin + ": legacy storage '" + k->text + "' is truncated");
    const uint64_t numel = rd64(reinterpret_cast<const uint8_t*>(bytes.data()) + p);
    p += 8;
    const size_t es = element_size(dt->second);
    if (numel > (bytes.size() - p) / es) throw Error(impl.origin + ": legacy storage '" + k->text + "' is truncated");
    storages[k->text] = bytes.substr(p, numel * es);
    p += numel * es;
  }
  materialise(impl, pending, storages);
  impl.root = root;
}

}  // namespace

TorchArchive TorchArchive::from_bytes(std::string bytes, std::string origin) {
  auto impl = std::make_shared<Impl>();
  impl->bytes = std::move(bytes);
  impl->origin = std::move(origin);
  const std::string_view b = impl->bytes;
  if (b.starts_with("PK\x03\x04") || b.starts_with("PK\x05\x06")) {
    load_zip(*impl);
  } else if (b.size() >= 2 && static_cast<uint8_t>(b[0]) == 0x80 && static_cast<uint8_t>(b[1]) <= 5) {
    load_legacy(*impl);
  } else if (b.size() > 262 && b.substr(257, 5) == "ustar") {
    throw Error(impl->origin + ": the tar-based torch.save format (torch < 0.4) is not supported; re-save with torch>=1.6");
  } else {
    throw Error(impl->origin + ": not a torch.save file (expected a zip archive or a pickle stream)");
  }
  TorchArchive a;
  a.impl_ = std::move(impl);
  return a;
}

TorchArchive TorchArchive::open(const std::filesystem::path& path) {
  return from_bytes(read_file(path), path.string());
}

const PyValue& TorchArchive::root() const { return *impl_->root; }
const std::string& TorchArchive::origin() const { return impl_->origin; }
bool TorchArchive::legacy_format() const { return impl_->legacy; }

}  // namespace stickgen
