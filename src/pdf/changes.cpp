#include "pdf/changes.h"

#include "pdf/detail/qpdf.h"

#include <map>
#include <set>

#include "pdf/detail/document_impl.h"
#include "pdf/detail/objects.h"
#include "pdf/diag.h"

namespace hpki::pdf {
namespace {

using detail::key_of;
using detail::name_of;

constexpr std::size_t kMaxWalk = 200000;  // objects visited per analysis

std::string og_text(QPDFObjectHandle o) {
  return o.isIndirect() ? o.getObjGen().unparse(' ') : std::string("direct");
}

class Comparer {
 public:
  Comparer(QPDF& before, QPDF& after)
      : before_(before),
        after_(after),
        xref_before_(before.getXRefTable()),
        xref_after_(after.getXRefTable()) {}

  // Whether the object `og` of the final file differs from the signed revision's (or is new).
  bool changed(QPDFObjGen og) {
    if (auto it = memo_.find(og); it != memo_.end()) return it->second;
    memo_[og] = false;  // a cycle through object streams ends here
    const bool c = compute_changed(og);
    memo_[og] = c;
    return c;
  }

  // Whether anything reachable from `o` in the final file changed; does not descend into
  // pages (they are compared on their own) or the keys in `skip`.
  bool reaches_change(QPDFObjectHandle o, const std::set<std::string>& skip = {}) {
    std::set<QPDFObjGen> seen;
    std::vector<QPDFObjectHandle> stack{o};
    bool first = true;
    while (!stack.empty()) {
      auto h = stack.back();
      stack.pop_back();
      if (++walked_ > kMaxWalk) return true;  // too large to tell: say changed
      if (h.isIndirect()) {
        if (!seen.insert(h.getObjGen()).second) continue;
        if (!first && is_page_node(h)) continue;
        if (changed(h.getObjGen())) return true;
      }
      first = false;
      QPDFObjectHandle dict = h.isStream() ? h.getDict() : h;
      if (dict.isDictionary()) {
        for (auto& [k, v] : dict.getDictAsMap()) {
          if (skip.count(k) == 0 && k != "/Parent" && k != "/P") stack.push_back(v);
        }
      } else if (h.isArray()) {
        for (auto& v : h.getArrayAsVector()) stack.push_back(v);
      }
    }
    return false;
  }

  // Whether `key` of the two dictionaries differs: by its written value, or anything reachable.
  bool entry_differs(QPDFObjectHandle before, QPDFObjectHandle after, const std::string& key) {
    auto b = key_of(before, key), a = key_of(after, key);
    if (b.unparse() != a.unparse()) return true;
    return reaches_change(a);
  }

  static bool is_page_node(QPDFObjectHandle h) {
    auto t = name_of(key_of(h, "/Type"));
    return t == "/Page" || t == "/Pages";
  }

  QPDF& before() { return before_; }
  QPDF& after() { return after_; }

 private:
  bool compute_changed(QPDFObjGen og) {
    auto ia = xref_after_.find(og);
    auto ib = xref_before_.find(og);
    if (ib == xref_before_.end()) return ia != xref_after_.end();  // new object
    if (ia != xref_after_.end()) {
      const auto& a = ia->second;
      const auto& b = ib->second;
      if (a.getType() == 1 && b.getType() == 1 && a.getOffset() == b.getOffset()) return false;
      if (a.getType() == 2 && b.getType() == 2 &&
          a.getObjStreamNumber() == b.getObjStreamNumber() &&
          a.getObjStreamIndex() == b.getObjStreamIndex() &&
          !changed(QPDFObjGen(a.getObjStreamNumber(), 0)))
        return false;
    }
    // Written again (or repaired): compare the values.
    auto oa = after_.getObject(og);
    auto ob = before_.getObject(og);
    if (oa.isStream() != ob.isStream()) return true;
    if (oa.isStream()) {
      if (oa.getDict().unparse() != ob.getDict().unparse()) return true;
      auto da = oa.getRawStreamData();
      auto db = ob.getRawStreamData();
      return da->getSize() != db->getSize() ||
             !std::equal(da->getBuffer(), da->getBuffer() + da->getSize(), db->getBuffer());
    }
    return oa.unparse() != ob.unparse();
  }

  QPDF& before_;
  QPDF& after_;
  std::map<QPDFObjGen, QPDFXRefEntry> xref_before_;
  std::map<QPDFObjGen, QPDFXRefEntry> xref_after_;
  std::map<QPDFObjGen, bool> memo_;
  std::size_t walked_ = 0;
};

struct Field {
  QPDFObjectHandle node;
  bool is_signature = false;
};

// The terminal fields of the AcroForm by fully qualified name.
std::map<std::string, Field> fields_of(QPDF& q) {
  std::map<std::string, Field> out;
  std::set<QPDFObjGen> seen;
  std::vector<std::pair<QPDFObjectHandle, int>> stack;
  auto fields = key_of(key_of(q.getRoot(), "/AcroForm"), "/Fields");
  if (fields.isArray()) {
    for (auto& f : fields.getArrayAsVector()) stack.emplace_back(f, 0);
  }
  while (!stack.empty() && out.size() < 10000) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node.isDictionary() || depth > detail::kMaxParentDepth) continue;
    if (node.isIndirect() && !seen.insert(node.getObjGen()).second) continue;
    auto kids = node.getKey("/Kids");
    bool has_field_kids = false;
    if (kids.isArray()) {
      for (auto& k : kids.getArrayAsVector()) {
        if (k.isDictionary() && k.hasKey("/T")) {
          has_field_kids = true;
          stack.emplace_back(k, depth + 1);
        }
      }
    }
    if (has_field_kids) continue;
    out[detail::field_name(node)] = {node, name_of(detail::inherited(node, "/FT")) == "/Sig"};
  }
  return out;
}

bool is_signature_widget(QPDFObjectHandle a) {
  return name_of(key_of(a, "/Subtype")) == "/Widget" &&
         name_of(detail::inherited(a, "/FT")) == "/Sig";
}

std::string annot_label(QPDFObjectHandle a) {
  std::string s = name_of(key_of(a, "/Subtype")).value_or("/?").substr(1);
  return s + " annotation " + og_text(a);
}

class Analysis {
 public:
  Analysis(Comparer& c, std::optional<int> p) : c_(c), p_(p) {}

  void run() {
    auto fin_fields = fields_of(c_.after());
    auto rev_fields = fields_of(c_.before());
    fields(rev_fields, fin_fields);
    pages();
    catalog();
  }

  std::vector<Finding> findings;

 private:
  void add(std::string_view id, std::string detail, bool invalidating) {
    findings.push_back({id, std::move(detail), invalidating});
  }
  // ISO 32000-1 12.8.2.2.2 Table 254 (DocMDP P).
  bool annotations_allowed() const { return !p_ || *p_ >= 3; }
  bool forms_allowed() const { return !p_ || *p_ >= 2; }
  bool signing_allowed() const { return !p_ || *p_ >= 2; }

  void annotation(std::string_view note_id, std::string_view cert_id, const std::string& what) {
    if (annotations_allowed())
      add(note_id, what, false);
    else
      add(cert_id, what + " (DocMDP P=" + std::to_string(*p_) + ")", true);
  }

  void fields(const std::map<std::string, Field>& rev, const std::map<std::string, Field>& fin) {
    for (const auto& [name, f] : fin) {
      auto it = rev.find(name);
      auto v_fin = detail::inherited(f.node, "/V");
      if (f.is_signature) {
        const bool signed_now = v_fin.isDictionary();
        const bool signed_before =
            it != rev.end() && detail::inherited(it->second.node, "/V").isDictionary();
        if (signed_before) {
          auto v_rev = detail::inherited(it->second.node, "/V");
          if (v_rev.getObjGen() != v_fin.getObjGen() || !signed_now ||
              c_.changed(v_fin.getObjGen()))
            add(diag::kSignatureRemoved,
                "the signature of field '" + name + "' was removed or replaced", true);
          // The appearance of a signed signature (the seal or handwriting image a reader sees)
          // is part of what was signed: its widget, /AP and images must stay as they were.
          else if (c_.reaches_change(f.node, {"/V"}))
            add(diag::kSignatureAppearanceChanged,
                "the appearance of signed signature field '" + name + "' changed", true);
          continue;
        }
        if (!signed_now) {
          if (it == rev.end() && !signing_allowed())
            add(diag::kSignatureAddedAfterCertification,
                "empty signature field '" + name + "' added (DocMDP P=1)", true);
          continue;
        }
        const bool timestamp = name_of(key_of(v_fin, "/Type")) == "/DocTimeStamp";
        if (signing_allowed() || timestamp)
          add(diag::kSignatureAdded,
              std::string(timestamp ? "document timestamp" : "signature") + " '" + name + "' added",
              false);
        else
          add(diag::kSignatureAddedAfterCertification,
              "signature '" + name + "' added (DocMDP P=" + std::to_string(*p_) + ")", true);
        continue;
      }
      if (it == rev.end()) {
        annotation(diag::kAnnotationAdded, diag::kAnnotationAddedAfterCertification,
                   "form field '" + name + "' added");
        continue;
      }
      auto v_rev = detail::inherited(it->second.node, "/V");
      if (v_rev.unparse() != v_fin.unparse() || c_.reaches_change(v_fin)) {
        changed_value_fields_.insert(name);
        if (forms_allowed())
          add(diag::kFormFieldChanged, "the value of field '" + name + "' changed", false);
        else
          add(diag::kFormFieldChangedAfterCertification,
              "the value of field '" + name + "' changed (DocMDP P=1)", true);
      }
    }
    for (const auto& [name, f] : rev) {
      if (fin.count(name) != 0) continue;
      if (f.is_signature && detail::inherited(f.node, "/V").isDictionary())
        add(diag::kSignatureRemoved, "signed signature field '" + name + "' removed", true);
      else
        add(diag::kFormFieldRemoved, "form field '" + name + "' removed", p_.has_value());
    }
  }

  static std::vector<QPDFObjectHandle> annots(QPDFObjectHandle page) {
    auto a = key_of(page, "/Annots");
    return a.isArray() ? a.getArrayAsVector() : std::vector<QPDFObjectHandle>{};
  }

  void pages() {
    const auto& rev = c_.before().getAllPages();
    const auto& fin = c_.after().getAllPages();
    std::map<QPDFObjGen, std::size_t> rev_index, fin_index;
    for (std::size_t i = 0; i < rev.size(); ++i) rev_index[rev[i].getObjGen()] = i;
    for (std::size_t i = 0; i < fin.size(); ++i) fin_index[fin[i].getObjGen()] = i;
    for (std::size_t i = 0; i < fin.size(); ++i) {
      if (rev_index.count(fin[i].getObjGen()) == 0)
        add(diag::kPageAdded, "page " + std::to_string(i + 1) + " (" + og_text(fin[i]) + ") added",
            true);
    }
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < rev.size(); ++i) {
      auto it = fin_index.find(rev[i].getObjGen());
      if (it == fin_index.end()) {
        add(diag::kPageRemoved,
            "page " + std::to_string(i + 1) + " (" + og_text(rev[i]) + ") removed", true);
        continue;
      }
      order.push_back(it->second);
      page(i + 1, rev[i], fin[it->second]);
    }
    if (!std::is_sorted(order.begin(), order.end()))
      add(diag::kContentChanged, "the pages were reordered", true);
  }

  void page(std::size_t number, QPDFObjectHandle rev, QPDFObjectHandle fin) {
    const std::string where = "page " + std::to_string(number);
    // ISO 32000-1 7.7.3.4: Resources, MediaBox, CropBox and Rotate are inherited from the tree.
    static const std::set<std::string> kInherited = {"/Resources", "/MediaBox", "/CropBox",
                                                     "/Rotate"};
    std::set<std::string> keys;
    for (auto& k : rev.getKeys()) keys.insert(k);
    for (auto& k : fin.getKeys()) keys.insert(k);
    keys.insert(kInherited.begin(), kInherited.end());
    for (const auto& k : keys) {
      if (k == "/Annots" || k == "/Parent") continue;
      QPDFObjectHandle b = kInherited.count(k) ? detail::inherited(rev, k) : rev.getKey(k);
      QPDFObjectHandle a = kInherited.count(k) ? detail::inherited(fin, k) : fin.getKey(k);
      if (b.unparse() != a.unparse() || c_.reaches_change(a)) {
        add(diag::kContentChanged, where + ": " + k + " changed", true);
        break;
      }
    }
    auto ra = annots(rev), fa = annots(fin);
    std::map<std::string, QPDFObjectHandle> before, after;
    for (auto& a : ra) before[a.isIndirect() ? og_text(a) : a.unparse()] = a;
    for (auto& a : fa) after[a.isIndirect() ? og_text(a) : a.unparse()] = a;
    for (auto& [k, a] : after) {
      if (before.count(k) != 0) {
        if (!a.isIndirect()) continue;
        if (!c_.changed(a.getObjGen()) && !c_.reaches_change(a, {"/V"})) continue;
        if (name_of(key_of(a, "/Subtype")) == "/Widget") {
          // Form filling or signing changes the widget with its field (fields()).
          const auto n = detail::field_name(a);
          if (is_signature_widget(a) || changed_value_fields_.count(n) != 0) continue;
        }
        annotation(diag::kAnnotationChanged, diag::kAnnotationChangedAfterCertification,
                   where + ": " + annot_label(a) + " changed");
        continue;
      }
      if (is_signature_widget(a)) continue;  // judged as a signature by fields()
      annotation(diag::kAnnotationAdded, diag::kAnnotationAddedAfterCertification,
                 where + ": " + annot_label(a) + " added");
    }
    for (auto& [k, a] : before) {
      if (after.count(k) != 0) continue;
      annotation(diag::kAnnotationRemoved, diag::kAnnotationRemovedAfterCertification,
                 where + ": " + annot_label(a) + " removed");
    }
  }

  void catalog() {
    auto rev = c_.before().getRoot(), fin = c_.after().getRoot();
    std::set<std::string> keys;
    for (auto& k : rev.getKeys()) keys.insert(k);
    for (auto& k : fin.getKeys()) keys.insert(k);
    for (const auto& k : keys) {
      if (k == "/AcroForm" || k == "/Pages" || k == "/Perms") continue;
      if (!c_.entry_differs(rev, fin, k)) continue;
      if (k == "/DSS")
        add(diag::kDssUpdated, "the document security store (/DSS) was added or updated", false);
      else if (k == "/Metadata" || k == "/Extensions")
        add(diag::kMetadataChanged, "the catalog's " + k + " changed", p_ == 1);
      else
        add(diag::kCatalogChanged, "the catalog's " + k + " changed", true);
    }
  }

  Comparer& c_;
  std::optional<int> p_;
  std::set<std::string> changed_value_fields_;
};

}  // namespace

Result<std::vector<Finding>> analyze_changes(const Document& doc, std::size_t revision_end,
                                             std::optional<int> docmdp_p) {
  const BytesView all = doc.bytes();
  if (revision_end > all.size())
    return fail(ErrorCode::kInvalidArgument, "revision end past the end of the file");
  auto before = HPKI_TRY(detail::load_qpdf(all.first(revision_end), "signed revision"));
  std::vector<Finding> out;
  HPKI_TRY(detail::guarded("comparing the signed revision with the document", [&] {
    Comparer c(*before, *doc.impl().qpdf);
    Analysis a(c, docmdp_p);
    a.run();
    out = std::move(a.findings);
  }));
  return out;
}

}  // namespace hpki::pdf
